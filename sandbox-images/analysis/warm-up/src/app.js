// A tiny workspace the image build analyses once, so that Node's compile cache holds the
// analysers' modules (ESLint and its rules, typescript-eslint, Ruff, jsdiff) when a job starts.
import { helper } from './helper.ts';

export function handle(request) {
  if (request == null) return { status: 400 };
  for (const item of request.items ?? []) {
    if (item.price > 100 && item.quantity > 1) helper(item);
  }
  return { status: 200 };
}
