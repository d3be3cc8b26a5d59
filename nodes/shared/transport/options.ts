import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';
import { CALLS_PER_SECOND_PER_APP_AND_API } from '../wire';

/** The node's Request Options: how fast, how often and how long the transport tries. */
export interface TransportOptions {
	callsPerSecond: number;
	maxRetries: number;
	/** Milliseconds to wait for DingTalk to send anything (an idle timeout, so long uploads still work). */
	timeout: number;
}

export const DEFAULT_TRANSPORT_OPTIONS: TransportOptions = {
	callsPerSecond: CALLS_PER_SECOND_PER_APP_AND_API,
	maxRetries: 4,
	timeout: 60_000,
};

const OPTION_RULES: Record<keyof TransportOptions, { label: string; min: number; max: number }> = {
	callsPerSecond: { label: 'Calls per Second', min: 1, max: CALLS_PER_SECOND_PER_APP_AND_API },
	maxRetries: { label: 'Max Retries', min: 0, max: 10 },
	timeout: { label: 'Timeout', min: 1, max: 60 * 60 * 1000 },
};

/**
 * The node's Request Options, checked before anything is sent: a value from an expression can be
 * empty, negative or not a number, and a rate of 0 would wait forever.
 */
export function readTransportOptions(ctx: IExecuteFunctions): TransportOptions {
	const requested = ctx.getNodeParameter('requestOptions', 0, {}) as Record<string, unknown>;
	const options = { ...DEFAULT_TRANSPORT_OPTIONS };
	for (const name of Object.keys(OPTION_RULES) as Array<keyof TransportOptions>) {
		if (!(name in requested)) continue;
		const { label, min, max } = OPTION_RULES[name];
		const raw = requested[name];
		const value =
			typeof raw === 'number'
				? raw
				: typeof raw === 'string' && raw.trim() !== ''
					? Number(raw)
					: NaN;
		if (!Number.isInteger(value) || value < min || value > max) {
			throw new NodeOperationError(
				ctx.getNode(),
				`Request Options > ${label}: "${String(raw)}" is not a whole number from ${min} to ${max}`,
				{
					description: `Set "${label}" to a whole number from ${min} to ${max}. Nothing was sent to DingTalk.`,
				},
			);
		}
		options[name] = value;
	}
	return options;
}
