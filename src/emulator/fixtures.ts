/** Small but well-formed fake media files the stand-in hands out for users' photos, voice notes, … */

/** An 8×8 mid-grey baseline JPEG (valid: SOI, DQT, SOF0, DHT, SOS, EOI). */
export function fakeJpeg(): Buffer {
  const bytes: number[] = [
    0xff, 0xd8, // SOI
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, // APP0 JFIF
    0xff, 0xdb, 0x00, 0x43, 0x00, ...new Array<number>(64).fill(1), // DQT, all ones
    0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00, // SOF0 8x8, 1 component
    0xff, 0xc4, 0x00, 0x14, 0x00, 0x01, ...new Array<number>(15).fill(0), 0x00, // DHT DC0: one code (category 0)
    0xff, 0xc4, 0x00, 0x14, 0x10, 0x01, ...new Array<number>(15).fill(0), 0x00, // DHT AC0: one code (EOB)
    0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00, // SOS
    0x3f, // DC diff 0, EOB, padding ones
    0xff, 0xd9, // EOI
  ];
  return Buffer.from(bytes);
}

/** Bytes that start like an Ogg/Opus voice note. */
export function fakeOgg(seconds: number): Buffer {
  return Buffer.concat([Buffer.from('OggS\x00\x02', 'latin1'), Buffer.alloc(58 + Math.max(0, Math.round(seconds)) * 16)]);
}

/** Bytes that start like a WebP sticker. */
export function fakeWebp(): Buffer {
  const body = Buffer.concat([Buffer.from('WEBPVP8 ', 'latin1'), Buffer.alloc(24)]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.from('RIFF', 'latin1'), size, body]);
}

/** Bytes that start like an MP4 (Telegram converts GIFs to MP4 animations). */
export function fakeMp4(): Buffer {
  return Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom', 'latin1'), Buffer.alloc(12)]);
}

const MIME_BY_EXT: Record<string, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  xls: 'application/vnd.ms-excel',
  csv: 'text/csv',
  txt: 'text/plain',
  json: 'application/json',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  zip: 'application/zip',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  html: 'text/html',
};

/** MIME type Telegram would report for a file name (by extension). */
export function mimeFromFileName(fileName: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1]?.toLowerCase() ?? '';
  return MIME_BY_EXT[ext] ?? 'application/octet-stream';
}

/** File extension for a file path (without dot), from the name or the MIME type. */
export function extensionFor(fileName: string | undefined, fallback: string): string {
  const ext = fileName !== undefined ? /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1] : undefined;
  return ext !== undefined ? ext.toLowerCase() : fallback;
}
