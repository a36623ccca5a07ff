// A document's cost under the default limits (src/limits/cost.ts), as the
// gateway prices it, for tests and benchmarks that pick documents by cost.
import { parse } from 'graphql';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { costEstimator, type ListSizes } from '../../src/limits/cost.js';
import { documentCost } from '../../src/limits/document-limits.js';
import { schema } from '../../src/schema/index.js';

const estimator = costEstimator(schema, DEFAULT_LIMITS.listSizes);

/** Under the default list sizes unless `sizes` are given (QUERY_COST_MEMBERS, QUERY_COST_ORGANIZATIONS). */
export const costOf = (query: string, variables?: Record<string, unknown>, sizes?: ListSizes): number =>
  documentCost(schema, parse(query), undefined, variables, sizes ? costEstimator(schema, sizes) : estimator);
