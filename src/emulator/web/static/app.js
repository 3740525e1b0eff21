// The demo's web chat: act as any person, see what the bot sends them. Plain script, no library,
// nothing from the internet. Talks to the emulator's /api/* (see ../webChat.ts).
'use strict';

/** The page's own labels (the bot's messages come from the bot, in each person's language). */
const LABELS = {
  ug: {
    title: 'Village Desk — سىناق', page_language: 'تىل', jobs: 'ۋاقىتلىق ۋەزىپىلەرنى ئىجرا قىلىش:', days: 'كۈندىن كېيىن', run: 'ئىجرا قىلىش',
    reset: 'قايتا باشلاش', send: 'يوللاش', placeholder: 'ئۇچۇر يېزىڭ…', typing: 'يېزىۋاتىدۇ…', edited: 'تەھرىرلەندى',
    resident: 'ئاھالە', cadre: 'كادىر', leader: 'رەھبەر', admin: 'باشقۇرغۇچى', group: 'رەھبەرلەر گۇرۇپپىسى',
    photo_file: 'كومپيۇتېردىن سۈرەت', photo_sample: 'ئەۋرىشكە سۈرەت', voice_record: 'مىكروفوندا ئۈن ئېلىش', voice_stop: 'توختىتىش ۋە يوللاش',
    voice_sample: 'ئەۋرىشكە ئاۋازلىق ئۇچۇر', location_sample: 'ئەۋرىشكە ئورۇن (ئاقسۇ كەنتى)', location_here: 'خەرىتىدىن ئورۇن تاللاش',
    download: 'چۈشۈرۈش', voice: 'ئاۋازلىق ئۇچۇر', location: 'ئورۇن', empty: 'تېخى ئۇچۇر يوق. /start نى يوللاڭ.',
    jobs_running: 'ۋەزىپىلەر ئىجرا قىلىنىۋاتىدۇ…', jobs_done: 'ۋەزىپىلەر ئىجرا قىلىندى', resetting: 'قايتا باشلىنىۋاتىدۇ…', reset_done: 'ئەسلىگە قايتۇرۇلدى',
    group_only_text: 'گۇرۇپپىدا پەقەت خەت ۋە بۇيرۇق', you: 'سىز',
  },
  zh: {
    title: 'Village Desk 演示', page_language: '语言', jobs: '运行定时任务：', days: '天后', run: '运行',
    reset: '重新开始', send: '发送', placeholder: '输入消息…', typing: '正在输入…', edited: '已编辑',
    resident: '村民', cadre: '干部', leader: '领导', admin: '管理员', group: '领导群',
    photo_file: '从电脑选择照片', photo_sample: '示例照片', voice_record: '用麦克风录音', voice_stop: '停止并发送',
    voice_sample: '示例语音', location_sample: '示例位置（阿克苏村）', location_here: '在地图上选位置',
    download: '下载', voice: '语音消息', location: '位置', empty: '还没有消息。发送 /start 开始。',
    jobs_running: '正在运行定时任务…', jobs_done: '定时任务已运行', resetting: '正在重新开始…', reset_done: '已恢复到初始台账',
    group_only_text: '群里只能发文字和命令', you: '我',
  },
  en: {
    title: 'Village Desk demo', page_language: 'Language', jobs: 'Run scheduled jobs as of', days: 'days on', run: 'Run',
    reset: 'Start again', send: 'Send', placeholder: 'Write a message…', typing: 'typing…', edited: 'edited',
    resident: 'villager', cadre: 'cadre', leader: 'leader', admin: 'administrator', group: "leaders' group",
    photo_file: 'Photo from this computer', photo_sample: 'Sample photo', voice_record: 'Record with the microphone', voice_stop: 'Stop and send',
    voice_sample: 'Sample voice message', location_sample: 'Sample location (Aqsu village)', location_here: 'Pick a place on the map',
    download: 'Download', voice: 'Voice message', location: 'Location', empty: 'No messages yet. Send /start.',
    jobs_running: 'Running the jobs…', jobs_done: 'Jobs done', resetting: 'Starting again…', reset_done: 'Back to the seeded ledger',
    group_only_text: 'Only text and commands in the group', you: 'you',
  },
};
const SAMPLE_LOCATION = { latitude: 41.1702, longitude: 80.2601 };
const COLORS = ['#e17076', '#7bc862', '#65aadd', '#a695e7', '#ee7aae', '#6ec9cb', '#faa774'];

const params = new URLSearchParams(location.search);
const state = {
  lang: params.get('lang') || localStorage.getItem('vd-lang') || 'ug',
  people: [],
  active: params.get('person') || null,
  lastRendered: '',
  recorder: null,
};
const $ = (id) => document.getElementById(id);
const t = (key) => (LABELS[state.lang] || LABELS.en)[key] || LABELS.en[key] || key;

async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json().catch(() => ({ ok: false, error: res.statusText }));
  if (!json.ok) throw new Error(json.error || res.statusText);
  return json;
}

/** Direction of a text as Telegram picks it: from its first strong character. */
function direction(text) {
  const m = /[\p{L}]/u.exec(text.replace(/\u2068[^\u2069]*\u2069/g, ''));
  if (!m) return 'ltr';
  return /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/.test(m[0]) ? 'rtl' : 'ltr';
}

function escapeHtml(s) {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

/** Text with its entities (UTF-16 offsets, as in the Bot API) as HTML. */
function renderEntities(text, entities) {
  if (!entities || entities.length === 0) return escapeHtml(text);
  const cuts = new Set([0, text.length]);
  for (const e of entities) { cuts.add(e.offset); cuts.add(e.offset + e.length); }
  const points = [...cuts].sort((a, b) => a - b);
  let html = '';
  for (let i = 0; i < points.length - 1; i++) {
    const from = points[i], to = points[i + 1];
    let piece = escapeHtml(text.slice(from, to));
    for (const e of entities) {
      if (e.offset > from || e.offset + e.length < to) continue;
      switch (e.type) {
        case 'bold': piece = `<b>${piece}</b>`; break;
        case 'italic': piece = `<i>${piece}</i>`; break;
        case 'underline': piece = `<u>${piece}</u>`; break;
        case 'strikethrough': piece = `<s>${piece}</s>`; break;
        case 'code': piece = `<code>${piece}</code>`; break;
        case 'pre': piece = `<pre>${piece}</pre>`; break;
        case 'spoiler': piece = `<span class="spoiler">${piece}</span>`; break;
        case 'blockquote': case 'expandable_blockquote': piece = `<blockquote>${piece}</blockquote>`; break;
        case 'text_link': piece = `<a href="${escapeHtml(e.url || '#')}" target="_blank" rel="noopener">${piece}</a>`; break;
        case 'url': piece = `<a href="${escapeHtml(text.slice(e.offset, e.offset + e.length))}" target="_blank" rel="noopener">${piece}</a>`; break;
        default: break;
      }
    }
    html += piece;
  }
  return html;
}

function hhmm(ms) {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function initials(name) {
  return [...name.replace(/[·\s]+/g, ' ').trim()][0] || '?';
}

function applyLabels() {
  document.documentElement.lang = state.lang;
  document.documentElement.dir = state.lang === 'ug' ? 'rtl' : 'ltr';
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  $('text').placeholder = t('placeholder');
  $('ui-lang').value = state.lang;
  document.title = t('title');
  state.lastRendered = '';
  renderPeople();
}

function renderPeople() {
  const nav = $('people');
  nav.replaceChildren(...state.people.map((p, i) => {
    const row = document.createElement('div');
    row.className = `person${p.key === state.active ? ' active' : ''}`;
    row.dataset.person = p.key;
    row.innerHTML = `<div class="avatar" style="background:${COLORS[i % COLORS.length]}">${escapeHtml(initials(p.name))}</div>
      <div class="who"><div class="name" dir="auto">${escapeHtml(p.name)}</div><div class="role">${escapeHtml(t(p.role))}</div></div>
      ${p.unread > 0 && p.key !== state.active ? `<span class="badge" data-unread="${p.unread}">${p.unread}</span>` : ''}`;
    row.addEventListener('click', () => select(p.key));
    return row;
  }));
}

function select(key) {
  state.active = key;
  state.lastRendered = '';
  const p = state.people.find((x) => x.key === key);
  $('chat-name').textContent = p ? p.name : '';
  $('chat-role').textContent = p ? t(p.role) : '';
  for (const b of ['attach-photo', 'attach-voice', 'attach-location']) $(b).disabled = p && p.role === 'group';
  $('attach-menu').hidden = true;
  const url = new URL(location.href);
  url.searchParams.set('person', key);
  history.replaceState(null, '', url);
  renderPeople();
  void refreshChat();
}

function messageNode(m) {
  const wrap = document.createElement('div');
  wrap.className = `msg ${m.out ? 'out' : 'in'}`;
  wrap.dataset.id = String(m.id);
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  bubble.dataset.kind = m.kind;
  const dir = direction(m.text || (m.out ? '' : ''));
  bubble.dir = m.text ? dir : 'ltr';
  let html = '';
  if (m.out && state.people.find((p) => p.key === state.active)?.role === 'group') html += `<div class="sender" dir="auto">${escapeHtml(m.sender)}</div>`;
  if (m.file && (m.kind === 'photo')) html += `<img class="photo" alt="" src="/api/file/${m.file.id}">`;
  else if (m.file && m.kind === 'voice') html += `<div class="voice"><span>🎤</span><span class="wave"></span><span>${m.duration ? `0:${String(m.duration).padStart(2, '0')}` : ''}</span><audio controls preload="none" src="/api/file/${m.file.id}" style="height:28px;max-width:180px"></audio></div>`;
  else if (m.file) html += `<div class="file"><span class="icon">📄</span><a href="/api/file/${m.file.id}?download=1" download="${escapeHtml(m.file.name)}" data-download="${escapeHtml(m.file.name)}">${escapeHtml(m.file.name)}</a></div>`;
  if (m.location) html += `<div class="location">📍 ${t('location')}: ${m.location.latitude.toFixed(4)}, ${m.location.longitude.toFixed(4)}</div>`;
  if (m.text) html += `<div class="text">${renderEntities(m.text, m.entities)}</div>`;
  html += `<div class="meta">${m.edited ? `${escapeHtml(t('edited'))} · ` : ''}${hhmm(m.at)}</div>`;
  bubble.innerHTML = html;
  for (const s of bubble.querySelectorAll('.spoiler')) s.addEventListener('click', () => s.classList.add('shown'));
  wrap.append(bubble);
  if (m.buttons && m.buttons.some((r) => r.length > 0)) {
    const kb = document.createElement('div');
    kb.className = 'kb';
    for (const row of m.buttons) {
      const r = document.createElement('div');
      r.className = 'row';
      for (const b of row) {
        const btn = document.createElement('button');
        btn.type = 'button';
        btn.textContent = b.text;
        btn.dir = direction(b.text);
        if (b.url) btn.addEventListener('click', () => window.open(b.url, '_blank', 'noopener'));
        else btn.addEventListener('click', () => press(m.id, b.data));
        r.append(btn);
      }
      kb.append(r);
    }
    wrap.append(kb);
  }
  return wrap;
}

async function refreshChat() {
  const key = state.active;
  if (!key) return;
  const chat = await api(`/api/chat/${key}`);
  if (key !== state.active) return;
  const fingerprint = JSON.stringify([chat.messages, chat.keyboard, state.lang]);
  $('typing').hidden = !chat.typing;
  $('typing').textContent = t('typing');
  if (fingerprint === state.lastRendered) return;
  state.lastRendered = fingerprint;
  const box = $('messages');
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  if (chat.messages.length === 0) {
    const empty = document.createElement('div');
    empty.className = 'empty';
    empty.textContent = t('empty');
    box.replaceChildren(empty);
  } else box.replaceChildren(...chat.messages.map(messageNode));
  if (nearBottom || box.dataset.person !== key) box.scrollTop = box.scrollHeight;
  box.dataset.person = key;
  const kb = $('reply-kb');
  kb.replaceChildren(...chat.keyboard.map((row) => {
    const r = document.createElement('div');
    r.className = 'row';
    for (const b of row) {
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.textContent = b.text;
      btn.dir = direction(b.text);
      btn.addEventListener('click', () => (b.location ? sendLocation(SAMPLE_LOCATION) : sendText(b.text)));
      r.append(btn);
    }
    return r;
  }));
}

async function refreshPeople() {
  const { people } = await api('/api/people');
  const before = state.people;
  state.people = people;
  if (!before.length && people.length) select(people.some((p) => p.key === state.active) ? state.active : people[0].key);
  else if (JSON.stringify(people) !== JSON.stringify(before)) renderPeople();
}

function toast(text, alert) {
  if (alert) {
    $('overlay-text').textContent = text;
    $('overlay-text').dir = direction(text);
    $('overlay').hidden = false;
    return;
  }
  const el = $('toast');
  el.textContent = text;
  el.dir = direction(text);
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 3500);
}

async function press(messageId, data) {
  try {
    const { queryId } = await api('/api/press', { person: state.active, messageId, data });
    for (let i = 0; i < 30; i++) {
      const a = await api(`/api/answer/${queryId}`);
      if (a.answered) { if (a.text) toast(a.text, a.alert); break; }
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) { toast(String(e.message || e)); }
  void refreshChat();
}

async function sendText(text) {
  try { await api('/api/send', { person: state.active, text }); } catch (e) { toast(String(e.message || e)); }
  void refreshChat();
}

async function sendLocation(loc) {
  try { await api('/api/location', { person: state.active, ...loc }); } catch (e) { toast(String(e.message || e)); }
  void refreshChat();
}

function toBase64(buffer) {
  let s = '';
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function sampleBytes(path) {
  const res = await fetch(path);
  return toBase64(await res.arrayBuffer());
}

function menu(items) {
  const m = $('attach-menu');
  m.replaceChildren(...items.map(([label, fn]) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.addEventListener('click', () => { m.hidden = true; fn(); });
    return b;
  }));
  m.hidden = false;
}

async function recordVoice() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const rec = new MediaRecorder(stream);
    const chunks = [];
    const started = Date.now();
    rec.ondataavailable = (e) => chunks.push(e.data);
    rec.onstop = async () => {
      stream.getTracks().forEach((tr) => tr.stop());
      const blob = new Blob(chunks, { type: rec.mimeType });
      await api('/api/voice', { person: state.active, base64: toBase64(await blob.arrayBuffer()), duration: (Date.now() - started) / 1000 });
      void refreshChat();
    };
    rec.start();
    menu([[t('voice_stop'), () => rec.stop()]]);
  } catch (e) {
    toast(String(e.message || e));
  }
}

$('attach-photo').addEventListener('click', () => menu([
  [t('photo_file'), () => $('photo-file').click()],
  [t('photo_sample'), async () => { await api('/api/photo', { person: state.active, base64: await sampleBytes('/static/sample-photo.jpg') }); void refreshChat(); }],
]));
$('photo-file').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file) return;
  await api('/api/photo', { person: state.active, base64: toBase64(await file.arrayBuffer()) });
  void refreshChat();
});
$('attach-voice').addEventListener('click', () => menu([
  ...(navigator.mediaDevices && window.MediaRecorder ? [[t('voice_record'), recordVoice]] : []),
  [t('voice_sample'), async () => { await api('/api/voice', { person: state.active, duration: 4 }); void refreshChat(); }],
]));
$('attach-location').addEventListener('click', () => menu([
  [t('location_sample'), () => sendLocation(SAMPLE_LOCATION)],
  [t('location_here'), () => {
    const answer = prompt('latitude, longitude', `${SAMPLE_LOCATION.latitude}, ${SAMPLE_LOCATION.longitude}`);
    const [lat, lon] = (answer || '').split(',').map(Number);
    if (Number.isFinite(lat) && Number.isFinite(lon)) void sendLocation({ latitude: lat, longitude: lon });
  }],
]));
$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('text').value.trim();
  if (!text) return;
  $('text').value = '';
  void sendText(text);
});
$('text').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('composer').requestSubmit(); }
});
$('ui-lang').addEventListener('change', () => {
  state.lang = $('ui-lang').value;
  localStorage.setItem('vd-lang', state.lang);
  applyLabels();
  select(state.active);
});
$('overlay-ok').addEventListener('click', () => { $('overlay').hidden = true; });

async function control(button, busyLabel, doneLabel, run) {
  const buttons = [$('jobs-run'), $('reset')];
  buttons.forEach((b) => { b.disabled = true; });
  toast(t(busyLabel));
  try {
    const result = await run();
    toast([t(doneLabel), ...((result && result.lines) || [])].join('\n'));
  } catch (e) {
    toast(String(e.message || e));
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    void refreshPeople();
    void refreshChat();
  }
}
$('jobs-run').addEventListener('click', () => control($('jobs-run'), 'jobs_running', 'jobs_done', () => {
  const date = $('jobs-date').value;
  return api('/api/jobs', date ? { date } : { days: Number($('jobs-days').value) });
}));
$('reset').addEventListener('click', () => control($('reset'), 'resetting', 'reset_done', () => api('/api/reset', {})));

async function loop() {
  try {
    await refreshPeople();
    await refreshChat();
  } catch { /* the demo is restarting the bot; try again */ }
  setTimeout(loop, 600);
}
applyLabels();
void loop();
