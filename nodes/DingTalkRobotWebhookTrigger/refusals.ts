import type { Logger } from 'n8n-workflow';

/** Refused calls are reported at most once a minute per trigger, with how many came since. */
export const REFUSALS_REPORTED_EVERY_MS = 60_000;

interface Tally {
	reportedAt: number;
	since: number;
}

// Per trigger (workflow and node), in this n8n process.
const tallies = new Map<string, Tally>();

/**
 * Logs a refused call, unless this trigger reported one less than a minute ago: then it is only
 * counted, and the count goes with the next report. Ten thousand forged calls make one line a minute.
 */
export function reportRefusal(trigger: string, reason: string, logger: Logger, now: number): void {
	const tally = tallies.get(trigger);
	if (tally && now - tally.reportedAt < REFUSALS_REPORTED_EVERY_MS) {
		tally.since++;
		return;
	}
	const earlier = tally?.since
		? ` (and ${tally.since} more refused calls in the minute before)`
		: '';
	logger.warn(
		`DingTalk Robot Webhook Trigger: refused a call (401): ${reason}${earlier}. Further refusals within a minute are counted, not logged.`,
	);
	tallies.set(trigger, { reportedAt: now, since: 0 });
}

/** Drops a trigger's tally when its workflow is deactivated. */
export function forgetRefusals(trigger: string): void {
	tallies.delete(trigger);
}
