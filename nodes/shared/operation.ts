import {
	NodeOperationError,
	type IBinaryData,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';
import { createLimiter } from './limit';
import { CONFLICT_STRATEGIES, type ConflictChoice } from './wire';
import type { DingTalkCall, DingTalkTransport } from './transport';
import { conflictOptions, type PickerName } from './descriptions';

/** What an operation's hooks get for one input item. */
export interface ItemContext {
	ctx: IExecuteFunctions;
	transport: DingTalkTransport;
	itemIndex: number;
	/** What a preSend hook hands on to postReceive for the same item. */
	state: IDataObject;
}

/**
 * One operation, described as data: the request it sends (`call`, with `query` and `body` naming the
 * node parameters they are read from), optional hooks around it, and how the answer becomes the output.
 * It is executed by the node through the shared transport, not by n8n's routing engine.
 */
export interface DingTalkOperation {
	/** Its entry in the editor's Operation list: an operation cannot be listed without its behaviour. */
	option: { name: string; action: string; description: string };
	call: Pick<DingTalkCall, 'family' | 'method' | 'path' | 'repeatable'>;
	/** Query parameter name -> node parameter it is read from (validated as an ID). */
	query?: Record<string, IdField>;
	/** JSON body field -> node parameter it is read from (validated as an ID). */
	body?: Record<string, IdField>;
	/** Runs before sending: validates what the fields above cannot and may add a multipart body. */
	preSend?: (item: ItemContext, call: DingTalkCall) => Promise<DingTalkCall>;
	/** Sends the built call instead of the transport's `call` (a reply, which goes to an address of its own). */
	send?: (item: ItemContext, call: DingTalkCall) => Promise<IDataObject>;
	/** Turns DingTalk's answer into the output: one item, or one per entry of a list. */
	postReceive: (
		item: ItemContext,
		answer: IDataObject,
	) =>
		| Promise<INodeExecutionData | INodeExecutionData[]>
		| INodeExecutionData
		| INodeExecutionData[];
	/**
	 * A list DingTalk hands out a page at a time: the call for the page after `answer`, or undefined after
	 * the last. The pages' outputs are joined, up to the item's limit (state.limit; none: all).
	 */
	nextPage?: (call: DingTalkCall, answer: IDataObject) => DingTalkCall | undefined;
	/** How many items may be in flight at once (the rate limit still applies). */
	concurrency: number;
	/** For sends: the field naming the chat; messages to one chat go one after another, in item order. */
	destination?: IdField;
}

/**
 * A resource: its entry in the editor's Resource list, its operations (keyed by the Operation value the
 * editor stores) and the fields they use. The node builds the Resource and Operation lists from these
 * objects, so every value the editor offers has an operation behind it.
 */
export interface DingTalkResource {
	option: { name: string; value: string };
	operations: Record<string, DingTalkOperation>;
	defaultOperation: string;
	/** The operations' fields, each with displayOptions naming the operations that show it. */
	fields: INodeProperties[];
}

/** The editor's Operation list of a resource, built from its operations. */
export function operationProperty(resource: DingTalkResource): INodeProperties {
	const options = Object.entries(resource.operations)
		.map(([value, operation]) => ({ ...operation.option, value }))
		.sort((a, b) => a.name.localeCompare(b.name));
	const { defaultOperation } = resource;
	return {
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [resource.option.value] } },
		options,
		default: defaultOperation,
	};
}

export interface IdField {
	parameter: string;
	label: string;
	/** A fixed prefix DingTalk uses for this kind of ID, checked before sending. */
	prefix?: string;
	/** The editor's picker for it, if DingTalk can list them. */
	picker?: PickerName;
}

export const MAX_ID_LENGTH = 512;

/** The error for input refused before sending: it names the field and says nothing was sent. */
export function refuseInput(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	reason: string,
): NodeOperationError {
	return new NodeOperationError(ctx.getNode(), `${field}: ${reason}`, {
		itemIndex,
		description: `Check the "${field}" field of item ${itemIndex + 1}. Nothing was sent to DingTalk.`,
	});
}

/** The binary data an item holds in the named field, or an error naming the field and what the item has. */
export function readInputBinary(
	ctx: IExecuteFunctions,
	itemIndex: number,
	property: string,
	label: string,
): IBinaryData {
	const name = property.trim();
	if (name === '') throw refuseInput(ctx, itemIndex, label, 'is empty');
	const binary = ctx.getInputData()[itemIndex]?.binary ?? {};
	if (binary[name]) return binary[name];
	const available = Object.keys(binary);
	throw refuseInput(
		ctx,
		itemIndex,
		label,
		`item ${itemIndex + 1} has no binary field "${name}"` +
			(available.length ? ` (it has: ${available.join(', ')})` : ' (it has no binary data at all)'),
	);
}

/**
 * The trimmed value of an ID field: a picker's chosen or typed ID, or the plain string a workflow saved
 * before the field had a picker.
 */
export function readIdValue(ctx: IExecuteFunctions, itemIndex: number, parameter: string): string {
	const raw = ctx.getNodeParameter(parameter, itemIndex, '', { extractValue: true }) as unknown;
	return (typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '').trim();
}

/** Reads a node parameter that holds a DingTalk ID and refuses an empty or malformed one. */
export function readId(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: IdField,
	fallback?: string,
): string {
	const value = readIdValue(ctx, itemIndex, field.parameter) || (fallback ?? '');
	const refuse = (reason: string) => refuseInput(ctx, itemIndex, field.label, reason);
	if (value === '') throw refuse('is empty');
	if (/\s/.test(value)) throw refuse(`"${value}" contains spaces or line breaks`);
	if (value.length > MAX_ID_LENGTH) throw refuse(`is longer than ${MAX_ID_LENGTH} characters`);
	if (field.prefix && !value.startsWith(field.prefix)) {
		throw refuse(`"${value}" does not look like one: it should start with "${field.prefix}"`);
	}
	return value;
}

/** Builds the call of one item: IDs first (nothing is sent when one is bad), then the hook. */
export async function buildCall(
	operation: DingTalkOperation,
	item: ItemContext,
): Promise<DingTalkCall> {
	const read = (fields: Record<string, IdField> | undefined) =>
		fields
			? Object.fromEntries(
					Object.entries(fields).map(([name, field]) => [
						name,
						readId(item.ctx, item.itemIndex, field),
					]),
				)
			: undefined;
	const call: DingTalkCall = {
		...operation.call,
		query: read(operation.query),
		json: read(operation.body),
	};
	return operation.preSend ? await operation.preSend(item, call) : call;
}

/**
 * Runs `work` for items 0..count-1 with at most `limit` in flight, keeping the results in item order.
 * Items with the same `keyOf` (sends to one chat) run one after another in item order; others run
 * side by side. After a failure no new item starts; those in flight finish, then the first error is
 * thrown.
 */
export async function mapItems<T>(
	count: number,
	limit: number,
	work: (index: number) => Promise<T>,
	keyOf?: (index: number) => string,
): Promise<T[]> {
	const results = new Array<T>(count);
	let failure: { error: unknown } | undefined;
	const limited = createLimiter(limit);
	const lastOfKey = new Map<string, Promise<void>>();
	const tasks: Array<Promise<void>> = [];
	for (let index = 0; index < count; index++) {
		const key = keyOf?.(index) ?? `item ${index}`;
		const task = (lastOfKey.get(key) ?? Promise.resolve()).then(
			async () =>
				await limited(async () => {
					try {
						if (!failure) results[index] = await work(index);
					} catch (error) {
						failure ??= { error };
					}
				}),
		);
		lastOfKey.set(key, task);
		tasks.push(task);
	}
	await Promise.all(tasks);
	if (failure) throw failure.error;
	return results;
}

const MIB = 1024 * 1024;

/** The Max File Size field in bytes, refused when it is not a number above 0. */
export function readMaxBytes(
	ctx: IExecuteFunctions,
	itemIndex: number,
	fallbackMb: number,
): number {
	const maxMb = Number(ctx.getNodeParameter('maxFileSizeMb', itemIndex, fallbackMb));
	if (!Number.isFinite(maxMb) || maxMb <= 0) {
		throw refuseInput(ctx, itemIndex, 'Max File Size (MB)', `"${maxMb}" is not a number above 0`);
	}
	return Math.floor(maxMb * MIB);
}

/** The output binary field's name; empty means `data`. */
export function readOutputField(ctx: IExecuteFunctions, itemIndex: number): string {
	return String(ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data')).trim() || 'data';
}

/** The "If the Name Exists" choice, refused when it is not one of the choices for a file or a folder. */
export function readConflict(
	ctx: IExecuteFunctions,
	itemIndex: number,
	value: unknown,
	kind: 'file' | 'folder',
): ConflictChoice {
	const choice = String(value || 'rename');
	const offered = conflictOptions(kind).map((option) => String(option.value));
	if (!(choice in CONFLICT_STRATEGIES) || !offered.includes(choice))
		throw refuseInput(
			ctx,
			itemIndex,
			'If the Name Exists',
			`"${choice}" is not a choice for a ${kind} (choose one of: ${offered.join(', ')})`,
		);
	return choice as ConflictChoice;
}

/**
 * Return All and Limit: the item's limit (kept in state.limit, where the pages stop), or undefined for
 * all; a limit that is not a whole number above 0 is refused.
 */
export function readLimit({ ctx, itemIndex, state }: ItemContext): number | undefined {
	if (ctx.getNodeParameter('returnAll', itemIndex, false) === true) return undefined;
	const limit = Number(ctx.getNodeParameter('limit', itemIndex, 50));
	if (!(Number.isInteger(limit) && limit >= 1))
		throw refuseInput(ctx, itemIndex, 'Limit', `"${limit}" is not a whole number above 0`);
	state.limit = limit;
	return limit;
}
