/**
 * The `review.completed` webhook body (docs/api.md, Webhooks): sent once per submitted review
 * version to the submission's callback URL, signed and retried as `submission.finished` is. It
 * carries the scores and who reviewed, never the notes: those stay with reviewers (GET the review
 * with a reviewer key for them).
 */
import type { Review } from './review.ts';

export function reviewCompletedPayload(
  submission: { id: string; challenge: string },
  review: Review,
  links: { self: string; report: string; reportHtml: string },
) {
  return {
    event: 'review.completed' as const,
    id: submission.id,
    challenge: submission.challenge,
    review: {
      version: review.version,
      reviewer: review.reviewer,
      updatedAt: review.updatedAt,
      criteria: review.criteria.map((c) => ({ id: c.id, points: c.points, maxPoints: c.maxPoints })),
      rubric: review.rubric,
      rubricWeight: review.rubricWeight,
      automatedPercent: review.automatedPercent,
      totalPercent: review.totalPercent,
    },
    links: { ...links, review: `${links.self}/review` },
  };
}
