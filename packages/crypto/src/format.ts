import { isUtf8 } from 'node:buffer';
import { randomFillSync } from 'node:crypto';
import { canonicalContext, type EncryptionContext } from './context';
import { invalidInput } from './errors';

/**
 * The sealed envelope, format version 1 (all integers big-endian):
 *
 * | offset      | bytes | field                                      |
 * | ----------- | ----- | ------------------------------------------ |
 * | 0           | 1     | format version, 0x01                       |
 * | 1           | 1     | algorithm id, 0x01 = AES-256-GCM           |
 * | 2           | 1     | KEK id length n (1..255)                   |
 * | 3           | n     | KEK id, UTF-8                              |
 * | 3+n         | 2     | wrapped data key length m (1..65535)       |
 * | 5+n         | m     | wrapped data key                           |
 * | 5+n+m       | 12    | IV                                         |
 * | 17+n+m      | c     | ciphertext (c may be 0)                    |
 * | 17+n+m+c    | 16    | GCM tag                                    |
 */
/**
 * The envelope format this code writes (byte 0 of every sealed value).
 * @example if (sealed[0] !== FORMAT_VERSION) migrate(sealed);
 */
export const FORMAT_VERSION = 1;
export const ALG_AES_256_GCM = 1;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export interface EnvelopeParts {
  version: number;
  algorithm: number;
  keyId: string;
  wrappedKey: Uint8Array;
  /** Bytes 0 to 5+n+m: version, algorithm, KEK id and wrapped key with their lengths. */
  header: Uint8Array;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

/** Smallest possible envelope: 1-byte KEK id, 1-byte wrapped key, empty ciphertext. */
const MIN_BYTES = 3 + 1 + 2 + 1 + IV_BYTES + TAG_BYTES;

/** Whether a KEK id fits the envelope's one-byte length field. */
export const isKekId = (keyId: unknown): keyId is string =>
  typeof keyId === 'string' && keyId !== '' && Buffer.byteLength(keyId, 'utf8') <= 255;

/** Whether a keyring's KEK id and wrapped key fit the envelope's length fields. */
export const fitsEnvelope = (keyId: unknown, wrapped: unknown): boolean =>
  isKekId(keyId) && wrapped instanceof Uint8Array && wrapped.length >= 1 && wrapped.length <= 0xffff;

/**
 * The bytes before the IV: version, algorithm, KEK id and wrapped key, length-prefixed. They are
 * the same for every value sealed under one data key, so the cache keeps them with it. The caller
 * has checked with `fitsEnvelope` that the lengths fit.
 */
export function envelopeHeader(keyId: string, wrapped: Uint8Array): Buffer {
  const keyIdLength = Buffer.byteLength(keyId, 'utf8');
  const header = Buffer.allocUnsafe(5 + keyIdLength + wrapped.length);
  header[0] = FORMAT_VERSION;
  header[1] = ALG_AES_256_GCM;
  header[2] = keyIdLength;
  header.write(keyId, 3, 'utf8');
  header.writeUInt16BE(wrapped.length, 3 + keyIdLength);
  header.set(wrapped, 5 + keyIdLength);
  return header;
}

/** A sealed value: header, IV, ciphertext and tag, copied once into one buffer. */
export function assemble(header: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(header.length + IV_BYTES + ciphertext.length + TAG_BYTES);
  out.set(header, 0);
  out.set(iv, header.length);
  out.set(ciphertext, header.length + IV_BYTES);
  out.set(tag, out.length - TAG_BYTES);
  return out;
}

/**
 * Splits an envelope into its fields (views, not copies). Framing errors are INVALID_INPUT; whether
 * the bytes are authentic is decided later by the keyring and GCM.
 * @example const { keyId } = parseEnvelope(sealed); // which KEK a stored value needs
 */
export function parse(sealed: Uint8Array): EnvelopeParts {
  // Precondition: a sealed value is bytes, long enough to hold every field.
  if (!(sealed instanceof Uint8Array)) throw invalidInput('Expected `sealed` to be a Uint8Array');
  if (sealed.length < MIN_BYTES) throw invalidInput('Sealed value is too short to be an envelope');
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  const version = buf[0]!;
  const algorithm = buf[1]!;
  // Precondition: only format version 1 with AES-256-GCM is read.
  if (version !== FORMAT_VERSION) throw invalidInput(`Unsupported envelope format version ${version}`);
  if (algorithm !== ALG_AES_256_GCM) throw invalidInput(`Unsupported envelope algorithm ${algorithm}`);
  const keyIdLength = buf[2]!;
  // Precondition: the length fields are non-zero and stay inside the value.
  if (keyIdLength === 0) throw invalidInput('Envelope has an empty KEK id');
  let offset = 3;
  if (offset + keyIdLength + 2 > buf.length) throw invalidInput('Envelope is truncated');
  // Precondition: the KEK id is valid UTF-8: decoding would replace bad bytes with U+FFFD, so two
  // different ids could name one key.
  if (!isUtf8(buf.subarray(offset, offset + keyIdLength))) throw invalidInput('Envelope KEK id is not UTF-8');
  const keyId = buf.toString('utf8', offset, offset + keyIdLength);
  offset += keyIdLength;
  const wrappedLength = buf.readUInt16BE(offset);
  offset += 2;
  if (wrappedLength === 0 || offset + wrappedLength + IV_BYTES + TAG_BYTES > buf.length) {
    throw invalidInput('Envelope is truncated');
  }
  const wrappedKey = buf.subarray(offset, offset + wrappedLength);
  offset += wrappedLength;
  const header = buf.subarray(0, offset);
  const iv = buf.subarray(offset, offset + IV_BYTES);
  offset += IV_BYTES;
  return {
    version,
    algorithm,
    keyId,
    wrappedKey,
    header,
    iv,
    ciphertext: buf.subarray(offset, buf.length - TAG_BYTES),
    tag: buf.subarray(buf.length - TAG_BYTES),
  };
}

const AAD_PREFIX = `strongroom/envelope/v1\0${String.fromCharCode(FORMAT_VERSION, ALG_AES_256_GCM)}`;

/**
 * Additional data for the value's GCM: a domain label, the format version and algorithm, and the
 * canonical context. The KEK id and wrapped key are not in it so that rewrap can replace them;
 * they are authenticated by the keyring instead (GCM with its own AAD locally, KMS's integrity).
 */
export function valueAad(context: EncryptionContext): Buffer {
  return canonicalContext(context, AAD_PREFIX);
}

const ivPool = Buffer.alloc(IV_BYTES * 512);
let ivOffset = ivPool.length;

/**
 * A fresh random IV. CSPRNG bytes are drawn in blocks and each byte handed out once, then zeroed:
 * a `randomBytes(12)` call per seal (about 3 µs here) costs about as much as the AES-GCM of a
 * 1 KiB value.
 */
export function randomIv(): Buffer {
  if (ivOffset === ivPool.length) {
    randomFillSync(ivPool);
    ivOffset = 0;
  }
  const iv = Buffer.from(ivPool.subarray(ivOffset, ivOffset + IV_BYTES));
  ivPool.fill(0, ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}
