/**
 * Files: what users send and what the bot uploads (multipart, attach://, a known file_id or a
 * URL), kept with their bytes so that getFile and /file/bot<token>/<path> downloads work.
 */
import { randomBytes } from 'node:crypto';

import { badRequest } from './request.ts';
import type { Params, Upload } from './request.ts';
import { extensionFor, mimeFromFileName } from './fixtures.ts';
import type { SentFile, StoredFile } from './types.ts';
import { UpdateFeed } from './updates.ts';

/** UpdateFeed plus the file store. */
export abstract class FileStore extends UpdateFeed {
  protected readonly fileStore = new Map<string, StoredFile>();
  protected readonly filesByPath = new Map<string, StoredFile>();
  protected fileCounter = 0;

  /** Registers a file (as if a user had sent it) so getFile/download work; returns its record. */
  registerFile(init: { kind: 'photo' | 'voice' | 'document' | 'sticker' | 'animation' | 'video' | 'audio'; bytes: Buffer; fileName?: string; mimeType?: string; url?: string }): StoredFile {
    const n = ++this.fileCounter;
    const prefix: Record<string, string> = { photo: 'AgAC', voice: 'AwAC', document: 'BQAC', sticker: 'CAAC', animation: 'CgAC', video: 'BAAC', audio: 'CQAC' };
    const dir: Record<string, string> = { photo: 'photos', voice: 'voice', document: 'documents', sticker: 'stickers', animation: 'animations', video: 'videos', audio: 'music' };
    const fallbackExt: Record<string, string> = { photo: 'jpg', voice: 'oga', document: 'dat', sticker: 'webp', animation: 'mp4', video: 'mp4', audio: 'mp3' };
    const ext = init.kind === 'photo' ? 'jpg' : init.kind === 'voice' ? 'oga' : extensionFor(init.fileName, fallbackExt[init.kind] ?? 'dat');
    const file: StoredFile = {
      file_id: `${prefix[init.kind] ?? 'BQAC'}AgIAAxkBAAI${n.toString(36)}${randomBytes(12).toString('base64url')}`,
      file_unique_id: `AgAD${n.toString(36)}${randomBytes(4).toString('hex')}`,
      file_path: `${dir[init.kind] ?? 'documents'}/file_${n}.${ext}`,
      file_size: init.bytes.length,
      bytes: init.bytes,
    };
    if (init.fileName !== undefined) file.fileName = init.fileName;
    if (init.mimeType !== undefined) file.mimeType = init.mimeType;
    if (init.url !== undefined) file.url = init.url;
    this.fileStore.set(file.file_id, file);
    this.filesByPath.set(file.file_path, file);
    return file;
  }

  /** Low-level: registers PhotoSize entries (90, 320, 800 px wide) sharing `bytes`. */
  registerPhotoSizes(bytes: Buffer, sizes: Array<[number, number]> = [[90, 68], [320, 240], [800, 600]]): Array<Record<string, unknown>> {
    return sizes.map(([width, height]) => {
      const f = this.registerFile({ kind: 'photo', bytes, mimeType: 'image/jpeg' });
      return { file_id: f.file_id, file_unique_id: f.file_unique_id, file_size: f.file_size, width, height };
    });
  }

  /** A stored file by file_id (uploaded by the bot or sent by a user). */
  file(fileId: string): StoredFile | undefined {
    return this.fileStore.get(fileId);
  }

  /** Every file-bearing bot message of a chat (photos, documents, voice, media groups …), with bytes; since-deleted ones included. */
  files(chatId: number): SentFile[] {
    return this.messages(chatId, { includeDeleted: true }).flatMap((m) => {
      if (m.file === undefined) return [];
      const name = m.file.fileName ?? m.file.file_path.split('/').pop() ?? 'file';
      return [{ message: m, kind: m.kind, fileName: name, mimeType: m.file.mimeType ?? mimeFromFileName(name), bytes: m.file.bytes }];
    });
  }

  /** Documents the bot sent into a chat (sendDocument, document media group items, copies), with bytes; since-deleted ones included (see message.deleted). */
  documents(chatId: number): SentFile[] {
    return this.files(chatId).filter((f) => f.kind === 'document' || (f.kind === 'media_group item' && f.message.mediaType === 'document'));
  }

  /** Resolves an InputFile parameter: an upload (multipart), attach://name, a known file_id, or an HTTP URL. */
  protected inputFile(p: Params, value: unknown, field: string): { upload?: Upload; existing?: StoredFile; url?: string } {
    if (typeof value === 'string' && value !== '') {
      if (value.startsWith('attach://')) {
        const up = p.uploads.get(value.slice('attach://'.length));
        if (up === undefined) throw badRequest(`wrong file identifier/HTTP URL specified`);
        return { upload: up };
      }
      if (/^https?:\/\//i.test(value)) return { url: value };
      const existing = this.fileStore.get(value);
      if (existing === undefined) throw badRequest('wrong file identifier/HTTP URL specified');
      return { existing };
    }
    const up = p.uploads.get(field);
    if (up !== undefined) return { upload: up };
    throw badRequest(`there is no ${field} in the request`);
  }

  protected storeInput(
    input: { upload?: Upload; existing?: StoredFile; url?: string },
    kind: 'photo' | 'document' | 'voice' | 'video' | 'audio',
    mimeDefault?: string,
  ): StoredFile {
    if (input.existing !== undefined) return input.existing;
    const fileName = input.upload?.fileName ?? (input.url !== undefined ? decodeURIComponent(input.url.split(/[?#]/)[0]?.split('/').pop() ?? 'file') : 'file');
    const mimeType = kind === 'photo' ? 'image/jpeg' : kind === 'voice' ? 'audio/ogg' : (mimeDefault ?? mimeFromFileName(fileName));
    return this.registerFile({
      kind,
      bytes: input.upload?.bytes ?? Buffer.alloc(0),
      fileName,
      mimeType,
      ...(input.url !== undefined ? { url: input.url } : {}),
    });
  }

  protected photoContent(file: StoredFile): Record<string, unknown> {
    const small = this.registerFile({ kind: 'photo', bytes: file.bytes, mimeType: 'image/jpeg' });
    return {
      photo: [
        { file_id: small.file_id, file_unique_id: small.file_unique_id, file_size: small.file_size, width: 90, height: 90 },
        { file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.file_size, width: 800, height: 800 },
      ],
    };
  }

  protected documentContent(file: StoredFile): Record<string, unknown> {
    const doc: Record<string, unknown> = { file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.file_size };
    if (file.fileName !== undefined) doc['file_name'] = file.fileName;
    if (file.mimeType !== undefined) doc['mime_type'] = file.mimeType;
    return { document: doc };
  }
}
