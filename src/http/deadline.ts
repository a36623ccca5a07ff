// Each GraphQL execution runs under one signal that fires when its client goes
// away or when REQUEST_TIMEOUT_MS has passed (SPEC G). The executor stops
// resolving fields, the database module starts no statement for it and
// cancels those in flight (src/db/cancellation.ts), and a request past its
// deadline is answered at once with SERVICE_UNAVAILABLE. An answer grown past
// its limit (src/limits/answer-meter.ts) is stopped the same way.
//
// Our own rather than Yoga's useExecutionCancellation, which hands the
// executor the client's signal only: no deadline, nothing for the database
// module to read, and graphql-jit's executor ignores a signal altogether.
import { type ExecutionArgs, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { asStatementRequest } from '../db/cancellation.js';
import { isHeavyExecution } from '../limits/admission.js';
import { answerMeterOf } from '../limits/answer-meter.js';
import { serviceUnavailable } from '../errors.js';

class DeadlinePassed extends Error {
  override name = 'DeadlinePassed';
}

export function requestDeadline(timeoutMs: number): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const request = (args.contextValue as { request?: Request }).request;
      const heavy = isHeavyExecution(args);
      setExecuteFn(async (executeArgs: ExecutionArgs) => {
        const controller = new AbortController();
        const { signal } = controller;
        (executeArgs.contextValue as { stopped?: AbortSignal }).stopped = signal;
        const clientLeft = () => controller.abort(request?.signal.reason);
        request?.signal.addEventListener('abort', clientLeft, { once: true });
        if (request?.signal.aborted) clientLeft();
        const timer = setTimeout(() => controller.abort(new DeadlinePassed()), timeoutMs);
        // An answer grown past its limit stops the same way, and answers the meter's refusal.
        answerMeterOf(args.contextValue)?.onExceeded((refusal) => controller.abort(refusal));
        let stop: () => void = () => {};
        const stopped = new Promise<never>((_, reject) => {
          stop = () => reject(signal.reason);
          signal.addEventListener('abort', stop, { once: true });
        });
        stopped.catch(() => {});
        try {
          // Yoga's executor reads `signal` and stops between fields; the race answers even if it is inside one.
          const execution = asStatementRequest({ signal, heavy }, () =>
            executeFn({ ...executeArgs, signal } as ExecutionArgs),
          );
          return await Promise.race([execution, stopped]);
        } catch (error) {
          if (!signal.aborted) throw error;
          return { errors: [deadlineError(signal.reason, timeoutMs)] };
        } finally {
          clearTimeout(timer);
          signal.removeEventListener('abort', stop);
          request?.signal.removeEventListener('abort', clientLeft);
        }
      });
    },
  };
}

function deadlineError(reason: unknown, timeoutMs: number) {
  if (reason instanceof GraphQLError) return reason;
  const message =
    reason instanceof DeadlinePassed
      ? `The request did not finish within ${timeoutMs} ms (REQUEST_TIMEOUT_MS) and was stopped.`
      : 'The client went away; the request was stopped.';
  return serviceUnavailable(message);
}
