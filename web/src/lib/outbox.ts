/**
 * The field worker's outbox: evidence uploads and step requests wait here, in IndexedDB, until the
 * network carries them. Each entry keeps its Idempotency-Key from the moment it is made, so sending it
 * twice (a reload mid-send, a lost answer) applies it once. Entries are sent in the order they were made
 * (a visit report after the photos it names), one at a time; a reload keeps them; the page shows them.
 *
 * Outcomes of a send: 2xx → removed; no answer, 5xx, 429 or 401 → kept, tried again when the network
 * returns (or after logging in again); any other 4xx → kept as failed, with the API's reason, for the
 * worker to retry or discard.
 */
import { useSyncExternalStore } from 'react';
import { csrfHeaders, notifySessionExpired, type Problem } from '../api/client';
import { errorMessage } from '../components/States';
import { ApiError } from '../api/client';

export type OutboxKind = 'evidence' | 'step';

export interface OutboxEntry {
  seq?: number;
  /** The Idempotency-Key sent with every attempt. */
  key: string;
  kind: OutboxKind;
  /** What it is, in Chinese (上传照片 IMG_001.jpg, 登记上门结果：已办理). */
  label: string;
  /** The owner; another user's entries on a shared phone wait for them. */
  userId: string;
  caseId?: string;
  /** POST target. */
  path: string;
  body?: unknown;
  file?: Blob;
  fileName?: string;
  sha256?: string;
  /** The evidence kind a visit report will name this file as. */
  evidenceKind?: 'photo' | 'video' | 'document' | 'signature';
  createdAt: string;
  status: 'waiting' | 'failed';
  error?: string;
  attempts: number;
}

const DB_NAME = 'doorstep-console';
const STORE = 'outbox';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'seq', autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = run(t.objectStore(STORE));
      t.oncomplete = () => resolve(req.result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error ?? new Error('存储失败'));
    });
  } finally {
    db.close();
  }
}

// The in-memory snapshot the pages render, refreshed after every change.
let entries: OutboxEntry[] = [];
const progress = new Map<number, number>();
let sendingSeq: number | undefined;
const listeners = new Set<() => void>();
let snapshot = { entries, progress: new Map(progress), sendingSeq };

function emit() {
  snapshot = { entries, progress: new Map(progress), sendingSeq };
  for (const l of listeners) l();
}

async function reload() {
  entries = await tx('readonly', (s) => s.getAll() as IDBRequest<OutboxEntry[]>);
  entries.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  emit();
}

export function useOutbox() {
  return useSyncExternalStore((l) => { listeners.add(l); return () => listeners.delete(l); }, () => snapshot);
}

/** Adds an entry (kept in IndexedDB before anything is sent) and tries to send at once. */
export async function enqueue(entry: Omit<OutboxEntry, 'seq' | 'status' | 'attempts' | 'createdAt'>): Promise<void> {
  await tx('readwrite', (s) => s.add({ ...entry, status: 'waiting', attempts: 0, createdAt: new Date().toISOString() }));
  await reload();
  void drain();
}

export async function discard(seq: number): Promise<void> {
  await tx('readwrite', (s) => s.delete(seq));
  await reload();
}

export async function retry(seq: number): Promise<void> {
  const e = entries.find((x) => x.seq === seq);
  if (!e) return;
  await tx('readwrite', (s) => s.put({ ...e, status: 'waiting', error: undefined }));
  await reload();
  void drain();
}

/** SHA-256 of a file, hex: the content address the API gives evidence, so a report can name it before it is sent. */
export async function sha256Hex(blob: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

type SendResult = { ok: true } | { ok: false; retryLater: boolean; error: unknown };

function sendFile(entry: OutboxEntry, onProgress: (fraction: number) => void): Promise<SendResult> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', entry.path);
    xhr.withCredentials = true;
    for (const [k, v] of Object.entries(csrfHeaders())) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('Idempotency-Key', entry.key);
    xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) onProgress(ev.loaded / ev.total); };
    xhr.onerror = () => resolve({ ok: false, retryLater: true, error: new Error('网络连接中断') });
    xhr.ontimeout = xhr.onerror;
    xhr.onload = () => resolve(outcome(xhr.status, () => { try { return JSON.parse(xhr.responseText) as Problem; } catch { return {}; } }));
    const form = new FormData();
    form.append('file', entry.file!, entry.fileName ?? 'evidence');
    xhr.send(form);
  });
}

async function sendJson(entry: OutboxEntry): Promise<SendResult> {
  let res: Response;
  try {
    res = await fetch(entry.path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'Idempotency-Key': entry.key, ...csrfHeaders() },
      body: JSON.stringify(entry.body ?? {}),
    });
  } catch (error) {
    return { ok: false, retryLater: true, error };
  }
  const body = await res.json().catch(() => ({})) as Problem;
  return outcome(res.status, () => body);
}

function outcome(status: number, problem: () => Problem): SendResult {
  if (status >= 200 && status < 300) return { ok: true };
  // The session ended: the entry waits, and the app asks the worker to log in again (then it is sent).
  if (status === 401) notifySessionExpired();
  const error = new ApiError(status, problem());
  const retryLater = status === 0 || status === 401 || status === 408 || status === 429 || status >= 500;
  return { ok: false, retryLater, error };
}

let draining: Promise<void> | undefined;
let currentUser: string | undefined;
const sentListeners = new Set<(entry: OutboxEntry) => void>();

/** Told of every entry the server accepted (pages refresh the case it belongs to). */
export function onSent(listener: (entry: OutboxEntry) => void): () => void {
  sentListeners.add(listener);
  return () => sentListeners.delete(listener);
}

/** Sends what waits, oldest first, for the logged-in user; stops at the first entry that must wait for the network. */
export function drain(): Promise<void> {
  draining ??= (async () => {
    try {
      await reload();
      for (const entry of entries.filter((e) => e.status === 'waiting' && e.userId === currentUser)) {
        if (!navigator.onLine) return;
        sendingSeq = entry.seq;
        emit();
        const result = entry.kind === 'evidence'
          ? await sendFile(entry, (f) => { progress.set(entry.seq!, f); emit(); })
          : await sendJson(entry);
        progress.delete(entry.seq!);
        sendingSeq = undefined;
        if (result.ok) {
          await tx('readwrite', (s) => s.delete(entry.seq!));
          for (const l of sentListeners) l(entry);
          continue;
        }
        await tx('readwrite', (s) => s.put({
          ...entry, attempts: entry.attempts + 1, error: errorMessage(result.error), status: result.retryLater ? 'waiting' : 'failed',
        }));
        if (result.retryLater) break;
      }
    } finally {
      sendingSeq = undefined;
      draining = undefined;
      await reload();
    }
  })();
  return draining;
}

let started = false;
/** Starts sending for this user: now, whenever the network returns, and every 20 s while something waits. */
export function startOutbox(userId: string | undefined): void {
  currentUser = userId;
  if (!started) {
    started = true;
    window.addEventListener('online', () => void drain());
    setInterval(() => { if (entries.some((e) => e.status === 'waiting') && navigator.onLine) void drain(); }, 20_000);
  }
  void drain();
}
