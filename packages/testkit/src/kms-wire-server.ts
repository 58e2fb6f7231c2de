import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The request fields the operations read, as the AWS SDK sends them (JSON, binary as base64). */
interface KmsRequest {
  KeyId?: string;
  KeySpec?: string;
  NumberOfBytes?: number;
  Plaintext?: string;
  CiphertextBlob?: string;
  EncryptionContext?: Record<string, string>;
  SourceKeyId?: string;
  SourceEncryptionContext?: Record<string, string>;
  DestinationKeyId?: string;
  DestinationEncryptionContext?: Record<string, string>;
}

export type KmsOperation = 'GenerateDataKey' | 'Decrypt' | 'Encrypt' | 'ReEncrypt' | 'DescribeKey';

export interface KmsFault {
  /** throttle → 400 ThrottlingException; internal → 500; slow → answers after `delayMs`;
   *  hang → never answers; accessDenied → 400 AccessDeniedException. */
  kind: 'throttle' | 'internal' | 'slow' | 'hang' | 'accessDenied';
  /** How many requests it hits (default: all until cleared). */
  count?: number;
  /** Which operations it hits (default: all). */
  ops?: KmsOperation[];
  delayMs?: number;
}

export interface KmsWireServer {
  readonly url: string;
  /** Creates a key and returns its ARN; `alias` also makes `alias/<alias>` resolve to it. */
  createKey(alias?: string): string;
  /** Disables (KMS answers DisabledException) or re-enables a key. */
  setKeyEnabled(keyIdOrArn: string, enabled: boolean): void;
  fault(fault: KmsFault): void;
  clearFaults(): void;
  /** Requests received (retries included), for one operation or all. */
  requests(op?: KmsOperation): number;
  /** The SDK's attempt number (`amz-sdk-request: attempt=N`) of each request, in arrival order. */
  attempts(op?: KmsOperation): number[];
  /** Zeroes `requests` and `attempts`. */
  resetCounts(): void;
  close(): Promise<void>;
}

interface Key {
  id: string;
  arn: string;
  material: Buffer;
  enabled: boolean;
}

class KmsError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

/** Canonical AAD for a context, so Decrypt fails when a pair differs. */
function contextAad(context: Record<string, string> | undefined): Buffer {
  const sorted = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(sorted), 'utf8');
}

/**
 * A KMS-compatible server on 127.0.0.1 (random port) speaking the AWS JSON 1.1 wire protocol
 * (`x-amz-target: TrentService.<Operation>`) for GenerateDataKey, Decrypt, Encrypt, ReEncrypt and
 * DescribeKey, so tests run the real `@aws-sdk/client-kms` over HTTP where no LocalStack is
 * available. Like KMS it checks the EncryptionContext and the KeyId on Decrypt and ReEncrypt; it
 * counts requests and injects faults.
 * @example
 * const kms = await startKmsWireServer();
 * const keyId = kms.createKey('strongroom');
 * kms.fault({ kind: 'throttle', count: 1, ops: ['Decrypt'] });
 * await kms.close();
 */
export async function startKmsWireServer(): Promise<KmsWireServer> {
  const keys = new Map<string, Key>();
  const aliases = new Map<string, string>();
  const log: { op: KmsOperation; attempt: number }[] = [];
  let faults: KmsFault[] = [];
  const sockets = new Set<Socket>();

  /** A key by id, exact ARN (region and account included) or alias, as KMS resolves them. */
  const findKey = (ref: unknown): Key | undefined => {
    if (typeof ref !== 'string') return undefined;
    if (ref.startsWith('alias/')) return keys.get(aliases.get(ref) ?? '');
    if (ref.startsWith('arn:')) return [...keys.values()].find((k) => k.arn === ref);
    return keys.get(ref);
  };
  const resolveKey = (ref: unknown): Key => {
    if (typeof ref !== 'string' || ref === '') throw new KmsError('ValidationException', 400, 'KeyId is required');
    const key = findKey(ref);
    if (!key) throw new KmsError('NotFoundException', 400, `Key '${ref}' does not exist`);
    if (!key.enabled) throw new KmsError('DisabledException', 400, `${key.arn} is disabled.`);
    return key;
  };

  // Blob: key id length (1) | key id | IV (12) | ciphertext | tag (16)
  const encrypt = (key: Key, plaintext: Buffer, context: Record<string, string> | undefined) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key.material, iv).setAAD(contextAad(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    const id = Buffer.from(key.id);
    return Buffer.concat([Buffer.from([id.length]), id, iv, body]);
  };
  const decrypt = (blob: Buffer, context: Record<string, string> | undefined, expectKey?: unknown) => {
    const invalid = () => new KmsError('InvalidCiphertextException', 400, '');
    if (blob.length < 1 + 12 + 16) throw invalid();
    const id = blob.subarray(1, 1 + blob[0]!).toString();
    const key = keys.get(id);
    if (!key) throw invalid();
    if (expectKey !== undefined && resolveKey(expectKey).id !== key.id) {
      throw new KmsError(
        'IncorrectKeyException',
        400,
        'The key ID in the request does not identify the key that encrypted the ciphertext',
      );
    }
    if (!key.enabled) throw new KmsError('DisabledException', 400, `${key.arn} is disabled.`);
    const rest = blob.subarray(1 + blob[0]!);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.material, rest.subarray(0, 12)).setAAD(contextAad(context));
      decipher.setAuthTag(rest.subarray(rest.length - 16));
      return {
        key,
        plaintext: Buffer.concat([decipher.update(rest.subarray(12, rest.length - 16)), decipher.final()]),
      };
    } catch {
      throw invalid();
    }
  };
  const b64 = (value: string | undefined) => Buffer.from(value ?? '', 'base64');

  const operations: Record<KmsOperation, (body: KmsRequest) => unknown> = {
    GenerateDataKey(body) {
      const key = resolveKey(body.KeyId);
      const plaintext = randomBytes(body.KeySpec === 'AES_128' ? 16 : (body.NumberOfBytes ?? 32));
      return {
        KeyId: key.arn,
        Plaintext: plaintext.toString('base64'),
        CiphertextBlob: encrypt(key, plaintext, body.EncryptionContext).toString('base64'),
      };
    },
    Encrypt(body) {
      const key = resolveKey(body.KeyId);
      return {
        KeyId: key.arn,
        CiphertextBlob: encrypt(key, b64(body.Plaintext), body.EncryptionContext).toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    Decrypt(body) {
      const { key, plaintext } = decrypt(b64(body.CiphertextBlob), body.EncryptionContext, body.KeyId);
      return { KeyId: key.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
    ReEncrypt(body) {
      const { key: source, plaintext } = decrypt(
        b64(body.CiphertextBlob),
        body.SourceEncryptionContext,
        body.SourceKeyId,
      );
      const destination = resolveKey(body.DestinationKeyId);
      return {
        SourceKeyId: source.arn,
        KeyId: destination.arn,
        CiphertextBlob: encrypt(destination, plaintext, body.DestinationEncryptionContext).toString('base64'),
        SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    DescribeKey(body) {
      // Unlike the other operations, DescribeKey answers for a disabled key (Enabled: false).
      const key = findKey(body.KeyId);
      if (!key) throw new KmsError('NotFoundException', 400, `Key '${String(body.KeyId)}' does not exist`);
      return {
        KeyMetadata: {
          KeyId: key.id,
          Arn: key.arn,
          Enabled: key.enabled,
          KeyState: key.enabled ? 'Enabled' : 'Disabled',
          KeyUsage: 'ENCRYPT_DECRYPT',
          KeySpec: 'SYMMETRIC_DEFAULT',
          CreationDate: Math.floor(Date.now() / 1000),
        },
      };
    },
  };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(body));
  };

  /** The first fault that applies to `op`, consuming one of its hits. */
  const takeFault = (op: KmsOperation): KmsFault | undefined => {
    const fault = faults.find((f) => !f.ops || f.ops.includes(op));
    if (!fault) return undefined;
    if (fault.count !== undefined && --fault.count <= 0) faults = faults.filter((f) => f !== fault);
    return fault;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const op = String(req.headers['x-amz-target'] ?? '').replace('TrentService.', '') as KmsOperation;
    if (!(op in operations)) return send(res, 400, { __type: 'UnknownOperationException', message: op });
    const attempt = /attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''))?.[1];
    log.push({ op, attempt: Number(attempt ?? 0) });

    const fault = takeFault(op);
    if (fault?.kind === 'hang') return; // never answers; closed on shutdown
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs ?? 5_000));
    if (fault?.kind === 'throttle') return send(res, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
    if (fault?.kind === 'internal')
      return send(res, 500, { __type: 'KMSInternalException', message: 'Internal error' });
    if (fault?.kind === 'accessDenied') {
      return send(res, 400, {
        __type: 'AccessDeniedException',
        message: 'User is not authorized to perform kms action',
      });
    }
    try {
      send(res, 200, operations[op](JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as KmsRequest));
    } catch (err) {
      if (err instanceof KmsError) return send(res, err.status, { __type: err.type, message: err.message });
      send(res, 400, { __type: 'SerializationException', message: 'Malformed request' });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    createKey(alias) {
      const id = randomUUID();
      const key = { id, arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`, material: randomBytes(32), enabled: true };
      keys.set(id, key);
      if (alias) aliases.set(`alias/${alias}`, id);
      return key.arn;
    },
    setKeyEnabled(ref, enabled) {
      const key = findKey(ref);
      if (!key) throw new Error(`no key ${ref}`);
      key.enabled = enabled;
    },
    fault(fault) {
      faults.push({ ...fault });
    },
    clearFaults() {
      faults = [];
    },
    requests(op) {
      return log.filter((r) => !op || r.op === op).length;
    },
    attempts(op) {
      return log.filter((r) => !op || r.op === op).map((r) => r.attempt);
    },
    resetCounts() {
      log.length = 0;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
