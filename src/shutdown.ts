/** What a shutdown logs through (pino's shape). */
interface ShutdownLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface Shutdown {
  /** Called for each SIGINT / SIGTERM: the first starts the shutdown; see below for the others. */
  signal(name: string): Promise<void>;
  /** The step under way (undefined before the shutdown starts). */
  readonly step: string | undefined;
}

/**
 * A process's shutdown in named steps, one after the other (a step that fails is logged and the next runs), then
 * `exit(0)`. Past `deadlineMs` the process logs the step it was still waiting for and exits with 1: nothing is lost by
 * it, as every write is a transaction and outbox work whose claim lapses is done again by the next process.
 *
 * A second Ctrl-C (SIGINT) means "now". A second SIGTERM is normal (systemd signals every process of the unit, and a
 * primary signals its workers as well): the shutdown under way goes on.
 */
export function inSteps(
  steps: readonly [name: string, run: () => Promise<unknown> | undefined][],
  { log, deadlineMs, exit = (code) => process.exit(code) }: { log: ShutdownLog; deadlineMs: number; exit?: (code: number) => void },
): Shutdown {
  let step: string | undefined;
  return {
    get step() {
      return step;
    },
    async signal(signal) {
      if (step !== undefined) {
        if (signal === 'SIGINT') {
          log.warn({ signal, waitingFor: step }, 'second interrupt while shutting down: exiting now');
          exit(1);
        }
        return;
      }
      step = 'start';
      log.info({ signal }, 'shutting down');
      const late = setTimeout(() => {
        log.error({ waitingFor: step, afterMs: deadlineMs }, 'shutdown took too long: exiting without finishing it');
        exit(1);
      }, deadlineMs);
      late.unref();
      for (const [name, run] of steps) {
        step = name;
        try {
          await run();
        } catch (err) {
          log.error({ err, step: name }, 'shutdown step failed');
        }
      }
      clearTimeout(late);
      step = 'done';
      exit(0);
    },
  };
}
