/**
 * Every Redis key of Assay except BullMQ's own, all under the configured prefix. Only the modules
 * of runner/store/ use these.
 *   <p>:sub:<id>                JSON SubmissionRecord (moved between states by lifecycle.ts only)
 *   <p>:sub:<id>:report:<run>   JSON Report of one run (written once: SET NX)
 *   <p>:sub:<id>:review         LIST of JSON review versions, version n at index n - 1 (reviews.ts: appended by compare-and-swap)
 *   <p>:idx:created             ZSET id -> createdAt (all submissions)
 *   <p>:idx:c:<challenge>:created   ZSET id -> createdAt, per challenge
 *   <p>:idx:c:<challenge>:score     ZSET id -> score percent of completed submissions, per challenge
 *   <p>:idem:<sha256(key)>      Idempotency-Key -> id
 *   <p>:cand:<sha256(who)>      SET of the candidate's unfinished submissions
 *   <p>:att:<challenge>:<sha256(who)>  HASH of the candidate's attempts at a challenge (attempts.ts)
 *   <p>:cohort:<challenge>:rows               HASH id -> JSON cohort row of the latest report (cohort.ts)
 *   <p>:cohort:<challenge>:v:<version>:score  ZSET id -> score percent of graded rows, per version (cohort.ts)
 *   <p>:sim:c:<challenge>:hashes  HASH id -> the submission's distinct fingerprint hashes, sorted uint32 LE (similarity.ts)
 *   <p>:sim:c:<challenge>:pairs   ZSET "<id>|<id>" (ids in order) -> similarity of the pair, pairs at or above the threshold
 *   <p>:sim:sub:<id>              JSON fingerprints, kept source lines and notes of the submission's latest completed run
 *   <p>:sim:sub:<id>:pairs        HASH other id -> JSON pair seen from this submission (score, fragments)
 *   <p>:sim:sub:<id>:scores       ZSET other id -> similarity (maxScoreFor reads the top one)
 *   <p>:worker:<id>             worker heartbeat (expires)
 *   <p>:rl:<bucket>:<window>    rate-limit counters
 */
import { hashSecret, type SubmissionRecord } from './record.ts';

export class StoreKeys {
  constructor(private readonly prefix: string) {}

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  record(id: string): string {
    return this.key('sub', id);
  }

  report(id: string, run: number): string {
    return this.key('sub', id, 'report', String(run));
  }

  /** The submission's review versions (reviews.ts). */
  reviews(id: string): string {
    return this.key('sub', id, 'review');
  }

  created(): string {
    return this.key('idx', 'created');
  }

  challengeCreated(challenge: string): string {
    return this.key('idx', 'c', challenge, 'created');
  }

  challengeScore(challenge: string): string {
    return this.key('idx', 'c', challenge, 'score');
  }

  idempotency(idempotencyKey: string): string {
    return this.key('idem', hashSecret(idempotencyKey));
  }

  /** The candidate is whoever the record names (email, else external id, else the repository). */
  candidate(r: Pick<SubmissionRecord, 'candidate' | 'repoUrl'>): string {
    return this.key('cand', candidateHash(r));
  }

  /** The same candidate's attempts at one challenge. */
  attempts(r: Pick<SubmissionRecord, 'candidate' | 'repoUrl' | 'challenge'>): string {
    return this.key('att', r.challenge, candidateHash(r));
  }

  cohortRows(challenge: string): string {
    return this.key('cohort', challenge, 'rows');
  }

  cohortVersionScore(challenge: string, version: string): string {
    return this.key('cohort', challenge, 'v', version, 'score');
  }

  /** Similarity (similarity.ts): a challenge's fingerprint hashes by submission, and its pairs. */
  similarityHashes(challenge: string): string {
    return this.key('sim', 'c', challenge, 'hashes');
  }

  similarityChallengePairs(challenge: string): string {
    return this.key('sim', 'c', challenge, 'pairs');
  }

  similarityPrints(id: string): string {
    return this.key('sim', 'sub', id);
  }

  similarityPairs(id: string): string {
    return this.key('sim', 'sub', id, 'pairs');
  }

  similarityScores(id: string): string {
    return this.key('sim', 'sub', id, 'scores');
  }

  worker(workerId: string): string {
    return this.key('worker', workerId);
  }

  rateLimit(bucket: string, window: number): string {
    return this.key('rl', bucket, String(window));
  }
}

/** Who the candidate is: the email, else the external id, else the repository, in any case. */
function candidateHash(r: Pick<SubmissionRecord, 'candidate' | 'repoUrl'>): string {
  const who = r.candidate?.email ?? r.candidate?.externalId ?? r.repoUrl;
  return hashSecret(who.toLowerCase());
}
