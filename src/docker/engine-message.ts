/**
 * Text that came from an engine (or another endpoint a document names) on its way into status,
 * events, logs and the status page. An endpoint is whatever a DockerHost says, so its answers are
 * untrusted: a body can be megabytes (an internal web page reflected into status), and control
 * characters can rewrite a terminal or a log line. Every such edge passes the text through here:
 * control characters (C0, DEL, C1, bidi overrides) become spaces, and the result is cut to
 * ENGINE_MESSAGE_MAX_BYTES of UTF-8, on a character boundary, ending in "…" when cut.
 */

export const ENGINE_MESSAGE_MAX_BYTES = 512;

// C0 (including newline and tab: a message is one line), DEL, C1, and the bidi embedding,
// override and isolate characters that make a line read differently from what it holds.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const ELLIPSIS = '…';

/** Pure: `text` with control characters replaced and cut to `maxBytes` of UTF-8. */
export function engineText(text: string, maxBytes = ENGINE_MESSAGE_MAX_BYTES): string {
  const clean = text.replace(CONTROL, ' ').trim();
  if (Buffer.byteLength(clean, 'utf8') <= maxBytes) return clean;
  const budget = maxBytes - Buffer.byteLength(ELLIPSIS, 'utf8');
  let out = '';
  let bytes = 0;
  for (const ch of clean) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > budget) break;
    out += ch;
    bytes += n;
  }
  return out.trimEnd() + ELLIPSIS;
}

/**
 * Pure: the message of an error from dockerode (or anything else), cleaned by engineText. The
 * engine's own `json.message` when there is one; otherwise the error's message without dockerode's
 * "(HTTP code 404) unexpected - " prefix (for a non-JSON answer, what follows is the whole body).
 */
export function engineMessage(err: unknown, maxBytes = ENGINE_MESSAGE_MAX_BYTES): string {
  const e = (err ?? {}) as { json?: { message?: unknown } | null; message?: unknown };
  if (e.json && typeof e.json === 'object' && typeof e.json.message === 'string') return engineText(e.json.message, maxBytes);
  const message = typeof e.message === 'string' ? e.message : String(err);
  return engineText(message.replace(/^\(HTTP code \d+\)\s*[\w ]*-\s*/, ''), maxBytes);
}
