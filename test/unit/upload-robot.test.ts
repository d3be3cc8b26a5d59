import { parseUserIds } from '../../nodes/shared/users';
import {
	commitBody,
	robotMessageParam,
	signedUploadHeaders,
	signedUploadOf,
	storageNameProblem,
	uploadInfoBody,
} from '../../nodes/shared/wire';

describe('storageNameProblem: the names DingTalk storage refuses', () => {
	it.each(['Q3 report.pdf', 'notes', '.env', 'a.b.c', '报告 2026.xlsx', '  padded.pdf  '])(
		'accepts %j',
		(name) => {
			expect(storageNameProblem(name)).toBeUndefined();
		},
	);

	it('refuses a trailing dot, judged after the trimming DingTalk does itself', () => {
		expect(storageNameProblem('report.')).toBe(
			'"report." ends with a dot, which DingTalk does not allow',
		);
		expect(storageNameProblem('report. ')).toBe(
			'"report." ends with a dot, which DingTalk does not allow',
		);
	});

	it('refuses tabs and * " < > |, naming each one found', () => {
		const rule = 'DingTalk does not allow tabs or * " < > | in file names';
		expect(storageNameProblem('a*b.pdf')).toBe(`"a*b.pdf" contains '*'; ${rule}`);
		expect(storageNameProblem('x\ty.pdf')).toBe(`"x\\ty.pdf" contains a tab; ${rule}`);
		expect(storageNameProblem('<a|b>.pdf')).toBe(
			`"<a|b>.pdf" contains '<' and '|' and '>'; ${rule}`,
		);
		expect(storageNameProblem('"q".pdf')).toBe(`""q".pdf" contains '"'; ${rule}`);
	});

	it('refuses a name that is empty once trimmed', () => {
		expect(storageNameProblem('   ')).toBe('is empty');
	});
});

describe('the storage calls', () => {
	it('asks for a single header-signed upload and pre-checks only the size', () => {
		expect(uploadInfoBody(1234)).toEqual({
			protocol: 'HEADER_SIGNATURE',
			multipart: false,
			option: { storageDriver: 'DINGTALK', preCheckParam: { size: 1234 }, preferIntranet: false },
		});
	});

	it('commits with the parent, the size and the chosen conflict strategy', () => {
		expect(commitBody('key-1', 'a.pdf', '0', 9, 'returnExisting')).toEqual({
			uploadKey: 'key-1',
			name: 'a.pdf',
			parentId: '0',
			option: { size: 9, conflictStrategy: 'RETURN_DENTRY_IF_EXISTS' },
		});
		expect(
			['rename', 'overwrite', 'fail'].map(
				(choice) =>
					(commitBody('k', 'n', '0', 1, choice as never).option as { conflictStrategy: string })
						.conflictStrategy,
			),
		).toEqual(['AUTO_RENAME', 'OVERWRITE', 'RETURN_ERROR_IF_EXISTS']);
	});

	it('reads the first resource URL and the headers to sign with, or nothing when they are missing', () => {
		const answer = {
			uploadKey: 'k',
			headerSignatureInfo: {
				resourceUrls: ['https://bucket.example/obj', 'https://other.example/obj'],
				headers: { Authorization: 'OSS id:sig', 'x-oss-date': 'Tue, 01 Dec 2026 10:00:00 GMT' },
			},
		};
		expect(signedUploadOf(answer)).toEqual({
			uploadKey: 'k',
			url: 'https://bucket.example/obj',
			headers: { Authorization: 'OSS id:sig', 'x-oss-date': 'Tue, 01 Dec 2026 10:00:00 GMT' },
		});
		expect(signedUploadOf({ uploadKey: 'k', headerSignatureInfo: {} })).toBeUndefined();
		expect(signedUploadOf({ headerSignatureInfo: answer.headerSignatureInfo })).toBeUndefined();
	});

	it('sends exactly the returned headers plus the length, and a Content-Type only when one was returned', () => {
		expect(signedUploadHeaders({ Authorization: 'OSS id:sig' }, 42)).toEqual({
			headers: { Authorization: 'OSS id:sig', 'Content-Length': '42' },
			sendsContentType: false,
		});
		expect(signedUploadHeaders({ 'content-type': 'application/pdf' }, 1).sendsContentType).toBe(
			true,
		);
	});
});

describe('robotMessageParam: msgParam built from plain fields', () => {
	const parsed = (message: Parameters<typeof robotMessageParam>[0]) => {
		const { msgKey, msgParam } = robotMessageParam(message);
		expect(typeof msgParam).toBe('string');
		return { msgKey, param: JSON.parse(msgParam) };
	};

	it('text and markdown', () => {
		expect(parsed({ kind: 'text', content: 'hi "there"' })).toEqual({
			msgKey: 'sampleText',
			param: { content: 'hi "there"' },
		});
		expect(parsed({ kind: 'markdown', title: 'T', text: '# x' })).toEqual({
			msgKey: 'sampleMarkdown',
			param: { title: 'T', text: '# x' },
		});
	});

	it('an image by media ID or URL', () => {
		expect(parsed({ kind: 'image', photo: '@lAabc' })).toEqual({
			msgKey: 'sampleImageMsg',
			param: { photoURL: '@lAabc' },
		});
	});

	it('a file with its name and the type read from the name', () => {
		expect(parsed({ kind: 'file', mediaId: '@m', fileName: 'Q3 Report.PDF' })).toEqual({
			msgKey: 'sampleFile',
			param: { mediaId: '@m', fileName: 'Q3 Report.PDF', fileType: 'pdf' },
		});
	});

	it('voice with its duration in milliseconds, video in seconds, both as strings', () => {
		expect(parsed({ kind: 'voice', mediaId: '@v', durationSeconds: 3.25 })).toEqual({
			msgKey: 'sampleAudio',
			param: { mediaId: '@v', duration: '3250' },
		});
		expect(
			parsed({ kind: 'video', mediaId: '@video', coverMediaId: '@pic', durationSeconds: 12.4 }),
		).toEqual({
			msgKey: 'sampleVideo',
			param: { duration: '12', videoMediaId: '@video', videoType: 'mp4', picMediaId: '@pic' },
		});
	});
});

describe('parseUserIds', () => {
	it('splits on commas, semicolons and white space, dropping repeats', () => {
		expect(parseUserIds(' manager4220, 0102235566;manager4220\nstaff9 ')).toEqual({
			userIds: ['manager4220', '0102235566', 'staff9'],
		});
	});

	it('takes 20 users and refuses 21 or none', () => {
		const list = (count: number) => Array.from({ length: count }, (_, i) => `u${i}`).join(',');
		expect(parseUserIds(list(20))).toEqual({ userIds: list(20).split(',') });
		expect(parseUserIds(list(21))).toEqual({
			reason:
				'names 21 users; DingTalk takes at most 20 per message (split them over several items)',
		});
		expect(parseUserIds(' , ')).toEqual({ reason: 'is empty' });
	});
});
