/** Runs work with at most `limit` pieces in flight; the rest wait their turn, first come first served. */
export type Limiter = <T>(work: () => Promise<T>) => Promise<T>;

export function createLimiter(limit: number): Limiter {
	let running = 0;
	const waiting: Array<() => void> = [];
	const acquire = async () => {
		if (running < Math.max(1, limit)) {
			running++;
			return;
		}
		// The slot is handed over by release: `running` stays as it is.
		await new Promise<void>((resolve) => waiting.push(resolve));
	};
	const release = () => {
		const next = waiting.shift();
		if (next) next();
		else running--;
	};
	return async (work) => {
		await acquire();
		try {
			return await work();
		} finally {
			release();
		}
	};
}

/** `work` for every value, at most `limit` at once, the results in the values' order. */
export async function mapWithLimit<V, T>(
	values: V[],
	limit: number,
	work: (value: V) => Promise<T>,
): Promise<T[]> {
	const limited = createLimiter(limit);
	return await Promise.all(
		values.map(async (value) => await limited(async () => await work(value))),
	);
}
