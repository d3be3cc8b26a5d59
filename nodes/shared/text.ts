/** A string from DingTalk's answer, or undefined when it is missing, not a string or blank. */
export const nonEmptyText = (value: unknown): string | undefined =>
	typeof value === 'string' && value.trim() !== '' ? value : undefined;
