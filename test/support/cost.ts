// A document's cost under the default limits (src/limits/cost.ts), as the
// gateway prices it, for tests and benchmarks that pick documents by cost.
import { parse } from 'graphql';
import { getComplexity } from 'graphql-query-complexity';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { costEstimator } from '../../src/limits/cost.js';
import { schema } from '../../src/schema/index.js';

const estimator = costEstimator(schema, DEFAULT_LIMITS.listSizes);

export const costOf = (query: string, variables?: Record<string, unknown>): number =>
  getComplexity({ schema, query: parse(query), variables, estimators: [estimator] });
