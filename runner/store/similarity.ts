/**
 * Similarity across a challenge's submissions in Redis (keys in keys.ts, `<p>:sim:...`): each
 * completed submission's Dolos fingerprints (taken in the analysis sandbox), compared with the
 * stored ones of the same challenge when it is recorded, and the pairs at or above the threshold,
 * kept for both submissions. Reports stay as they were stored: the API merges these pairs into
 * the reviewer's view when it reads them. A pair is evidence for a human reviewer, never a verdict.
 *
 * Incremental: a new submission is compared with the stored ones (their distinct hashes, one
 * HASH read of compact uint32 arrays), never all pairs again; only the pairs at or above the
 * threshold load the other side's fingerprints to find the shared fragments. A rerun replaces
 * the submission's fingerprints and pairs. Two submissions recorded at once each store their
 * fingerprints before they compare, so each pair is found by at least one of them.
 */
import os from 'node:os';
import { mirrored, sharedFragments, similarityScore, uniqueHashes, type Fragment, type SubmissionPrints } from '../similarity/compare.ts';
import type { StoreKeys } from './keys.ts';
import type { Redis } from './redis.ts';

/** What a challenge's comparison uses: the operator's settings with the manifest's overrides. */
export interface SimilaritySettings {
  /** Pairs at or above this similarity (0-1) are recorded. */
  threshold: number;
  /** Fragments shorter than this on both sides are not listed. */
  minFragmentLines: number;
}

/** One submission's fingerprints as stored: what the analyser gave, the run and the settings it was compared with. */
export interface StoredPrints extends SubmissionPrints {
  challenge: string;
  run: number;
  storedAt: string;
  settings: SimilaritySettings;
}

/** A pair seen from one submission: the other one, how alike, and the code they share. */
export interface SimilarityPair {
  submissionId: string;
  /** The Dice coefficient of the two sets of fingerprints, 0-1. */
  score: number;
  sharedPrints: number;
  /** Shared fragments, `file`/`lines` in this submission, `otherFile`/`otherLines` in the other (the longest first). */
  fragments: Fragment[];
  run: number;
  otherRun: number;
  comparedAt: string;
}

/** A pair of a challenge, from the first submission's side. */
export interface ChallengePair extends SimilarityPair {
  /** The first submission of the pair (`submissionId` is the second). */
  ofSubmissionId: string;
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** The sorted hashes as stored: uint32, little-endian. */
function hashesToBuffer(hashes: Uint32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength);
  const buf = Buffer.alloc(hashes.length * 4);
  hashes.forEach((h, i) => buf.writeUInt32LE(h, i * 4));
  return buf;
}

function bufferToHashes(buf: Buffer): Uint32Array {
  const n = Math.floor(buf.length / 4);
  if (LITTLE_ENDIAN) return new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + n * 4));
  return Uint32Array.from({ length: n }, (_, i) => buf.readUInt32LE(i * 4));
}

/** One completed run's fingerprints to record. */
export interface RecordInput {
  id: string;
  challenge: string;
  run: number;
  prints: SubmissionPrints;
  settings: SimilaritySettings;
}

const pairMember = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

export class SimilarityStore {
  constructor(private readonly redis: Redis, private readonly keys: StoreKeys) {}

  /**
   * Replaces the submission's fingerprints with these (a run without any still replaces them, so
   * its notes say why), compares them with the challenge's other stored submissions and records
   * every pair at or above the threshold for both. Returns how many were compared and the pairs.
   */
  async record(input: RecordInput): Promise<{ compared: number; pairs: SimilarityPair[] }> {
    const { id, challenge, run, prints, settings } = input;
    const hashes = await this.save(input);
    if (!hashes.length) return { compared: 0, pairs: [] };

    const all = await this.redis.hgetallBuffer(this.keys.similarityHashes(challenge));
    const above: Array<{ other: string; score: number; shared: number }> = [];
    let compared = 0;
    for (const [other, buf] of Object.entries(all)) {
      if (other === id) continue;
      compared++;
      const { score, shared } = similarityScore(hashes, bufferToHashes(buf));
      if (shared > 0 && score >= settings.threshold) above.push({ other, score, shared });
    }
    const pairs: SimilarityPair[] = [];
    if (!above.length) return { compared, pairs };
    const raws = await this.redis.mget(above.map((a) => this.keys.similarityPrints(a.other)));
    const now = new Date().toISOString();
    const save = this.redis.multi();
    above.forEach(({ other, score, shared }, i) => {
      const raw = raws[i];
      if (!raw) return; // removed meanwhile (a rerun on its way): its own recording compares again
      const theirs = JSON.parse(raw) as StoredPrints;
      const fragments = sharedFragments(prints, theirs, settings.minFragmentLines);
      const mine: SimilarityPair = { submissionId: other, score, sharedPrints: shared, fragments, run, otherRun: theirs.run, comparedAt: now };
      const their: SimilarityPair = { submissionId: id, score, sharedPrints: shared, fragments: mirrored(fragments), run: theirs.run, otherRun: run, comparedAt: now };
      pairs.push(mine);
      save
        .hset(this.keys.similarityPairs(id), other, JSON.stringify(mine))
        .zadd(this.keys.similarityScores(id), score, other)
        .hset(this.keys.similarityPairs(other), id, JSON.stringify(their))
        .zadd(this.keys.similarityScores(other), score, id)
        .zadd(this.keys.similarityChallengePairs(challenge), score, pairMember(id, other));
    });
    await save.exec();
    return { compared, pairs: pairs.sort((x, y) => y.score - x.score) };
  }

  /**
   * Replaces the submission's fingerprints without comparing them (record() compares; the bench
   * seeds a challenge with it). Returns the distinct hashes stored.
   */
  async save({ id, challenge, run, prints, settings }: RecordInput): Promise<Uint32Array> {
    await this.remove(id);
    const hashes = uniqueHashes(prints.prints);
    const stored: StoredPrints = { ...prints, challenge, run, storedAt: new Date().toISOString(), settings };
    const write = this.redis.multi().set(this.keys.similarityPrints(id), JSON.stringify(stored));
    if (hashes.length) write.hset(this.keys.similarityHashes(challenge), id, hashesToBuffer(hashes));
    await write.exec();
    return hashes;
  }

  /** Forgets the submission's fingerprints and its pairs, on both sides. */
  async remove(id: string): Promise<void> {
    const raw = await this.redis.get(this.keys.similarityPrints(id));
    const others = await this.redis.zrange(this.keys.similarityScores(id), 0, -1);
    const drop = this.redis.multi();
    for (const other of others) drop.hdel(this.keys.similarityPairs(other), id).zrem(this.keys.similarityScores(other), id);
    if (raw) {
      const { challenge } = JSON.parse(raw) as Pick<StoredPrints, 'challenge'>;
      drop.hdel(this.keys.similarityHashes(challenge), id);
      if (others.length) drop.zrem(this.keys.similarityChallengePairs(challenge), ...others.map((o) => pairMember(id, o)));
    }
    drop.del(this.keys.similarityPrints(id), this.keys.similarityPairs(id), this.keys.similarityScores(id));
    await drop.exec();
  }

  /** The submission's pairs, the most similar first. */
  async pairsFor(id: string): Promise<SimilarityPair[]> {
    const raw = await this.redis.hvals(this.keys.similarityPairs(id));
    return raw.map((r) => JSON.parse(r) as SimilarityPair).sort((x, y) => y.score - x.score || (x.submissionId < y.submissionId ? -1 : 1));
  }

  /** Each submission's highest pair score (submissions without a pair are absent). */
  async maxScoreFor(ids: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (!ids.length) return out;
    const read = this.redis.pipeline();
    for (const id of ids) read.zrevrange(this.keys.similarityScores(id), 0, 0, 'WITHSCORES');
    const results = (await read.exec()) ?? [];
    results.forEach(([err, value], i) => {
      const top = value as string[] | null;
      if (!err && top && top.length === 2) out.set(ids[i]!, Number(top[1]));
    });
    return out;
  }

  /** The challenge's pairs, the most similar first (at most `limit`), each from its first submission's side. */
  async challengePairs(challenge: string, limit = 200): Promise<ChallengePair[]> {
    const members = await this.redis.zrevrange(this.keys.similarityChallengePairs(challenge), 0, limit - 1);
    if (!members.length) return [];
    const read = this.redis.pipeline();
    const sides = members.map((m) => m.split('|') as [string, string]);
    for (const [a, b] of sides) read.hget(this.keys.similarityPairs(a), b);
    const results = (await read.exec()) ?? [];
    const out: ChallengePair[] = [];
    results.forEach(([err, value], i) => {
      if (!err && typeof value === 'string') out.push({ ...(JSON.parse(value) as SimilarityPair), ofSubmissionId: sides[i]![0] });
    });
    return out;
  }

  /** The submission's stored fingerprints, kept lines and notes (for the side-by-side page). */
  async printsOf(id: string): Promise<StoredPrints | undefined> {
    const raw = await this.redis.get(this.keys.similarityPrints(id));
    return raw ? (JSON.parse(raw) as StoredPrints) : undefined;
  }
}
