import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import {
	binarySizeOf,
	buildMultipart,
	fillFromBinary,
	extensionOf,
	extensionOfMimeType,
	mimeTypeOfExtension,
} from '../../../shared/binary';
import { inputBinaryFieldProperty } from '../../../shared/descriptions';
import { readInputBinary, refuseInput, type DingTalkResource } from '../../../shared/operation';
import type { DingTalkCall } from '../../../shared/transport';
import {
	MEDIA_FILE_PART,
	MEDIA_RULES,
	MEDIA_TYPE_FIELD,
	PATHS,
	type MediaType,
} from '../../../shared/wire';

const showForUpload = { resource: ['media'], operation: ['upload'] };
const MEDIA_TYPES = Object.keys(MEDIA_RULES) as MediaType[];

const mediaFields: INodeProperties[] = [
	inputBinaryFieldProperty(showForUpload, 'The file to upload'),
	{
		displayName: 'Media Type',
		name: 'mediaType',
		type: 'options',
		displayOptions: { show: showForUpload },
		options: [
			{
				name: 'Detect From File',
				value: 'auto',
				description: "Pick the type from the file's extension and MIME type",
			},
			{
				name: 'File',
				value: 'file',
				description: 'Doc, docx, xls, xlsx, ppt, pptx, zip, pdf or rar; up to 20 MB',
			},
			{ name: 'Image', value: 'image', description: 'JPG, GIF, PNG or BMP; up to 20 MB' },
			{ name: 'Video', value: 'video', description: 'MP4; up to 20 MB' },
			{ name: 'Voice', value: 'voice', description: 'AMR, MP3 or WAV; up to 2 MB' },
		],
		default: 'auto',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: { show: showForUpload },
		options: [
			{
				displayName: 'File Name',
				name: 'fileName',
				type: 'string',
				default: '',
				description:
					"The name DingTalk shows for the file, replacing the binary data's own. Its extension must suit the media type.",
			},
		],
	},
];

/** The media type a file goes up as, or the reason it cannot go up; nothing is sent in that case. */
export function resolveMediaType(
	requested: string,
	fileName: string,
	mimeType: string | undefined,
	size: number,
): { type: MediaType } | { field: string; reason: string } {
	const extension = extensionOf(fileName);
	const formats = (type: MediaType) => MEDIA_RULES[type].extensions.join(', ');
	let type: MediaType | undefined;
	if (requested === 'auto') {
		type = MEDIA_TYPES.find(
			(candidate) => extension && MEDIA_RULES[candidate].extensions.includes(extension),
		);
		if (!type) {
			const accepted = MEDIA_TYPES.map((candidate) => `${candidate}: ${formats(candidate)}`).join(
				'; ',
			);
			return {
				field: 'Media Type',
				reason: `cannot tell what kind of media "${fileName}" (${mimeType ?? 'no MIME type'}) is: DingTalk accepts ${accepted}`,
			};
		}
	} else if ((MEDIA_TYPES as string[]).includes(requested)) {
		type = requested as MediaType;
		if (!extension || !MEDIA_RULES[type].extensions.includes(extension)) {
			return {
				field: 'Media Type',
				reason: `DingTalk accepts only ${formats(type)} as ${type}, and "${fileName}" is ${extension ? `a .${extension} file` : 'without an extension'}`,
			};
		}
	} else {
		return {
			field: 'Media Type',
			reason: `"${requested}" is not one of ${MEDIA_TYPES.join(', ')}`,
		};
	}
	if (size === 0)
		return { field: 'Input Binary Field', reason: `"${fileName}" is empty (0 bytes)` };
	if (size > MEDIA_RULES[type].maxBytes) {
		return {
			field: 'Input Binary Field',
			reason: `"${fileName}" is ${size.toLocaleString('en-US')} bytes; DingTalk accepts ${type} files up to ${MEDIA_RULES[type].maxLabel}`,
		};
	}
	return { type };
}

/**
 * A media upload of one item's binary data: the file name (a name without an extension gets the one its
 * MIME type implies: DingTalk checks the extension), the media type and DingTalk's rules checked before
 * anything is sent, and the multipart call. Robot Message > Send uploads its media with this too.
 */
export async function prepareMediaUpload(
	ctx: IExecuteFunctions,
	itemIndex: number,
	call: DingTalkCall,
	input: {
		property: string;
		requestedType: string;
		fileName: string;
		binaryLabel?: string;
		typeLabel?: string;
	},
): Promise<{ call: DingTalkCall; described: IDataObject & { fileName: string } }> {
	const binaryLabel = input.binaryLabel ?? 'Input Binary Field';
	const binaryItem = readInputBinary(ctx, itemIndex, input.property, binaryLabel);
	let fileName = input.fileName.trim() || binaryItem.fileName || 'file';
	const mimeType = binaryItem.mimeType || mimeTypeOfExtension(extensionOf(fileName));
	if (!extensionOf(fileName) && extensionOfMimeType(mimeType))
		fileName = `${fileName}.${extensionOfMimeType(mimeType)}`;
	// The size comes from the binary's metadata: an oversized file is refused before it is read.
	const size = await binarySizeOf(ctx, binaryItem);
	const resolved = resolveMediaType(input.requestedType, fileName, mimeType, size);
	if ('reason' in resolved) {
		const field = resolved.field === 'Media Type' ? (input.typeLabel ?? 'Media Type') : binaryLabel;
		throw refuseInput(ctx, itemIndex, field, resolved.reason);
	}
	const contentType =
		mimeTypeOfExtension(extensionOf(fileName)) ?? mimeType ?? 'application/octet-stream';
	return {
		described: { fileName, fileSize: size, mimeType: contentType },
		call: {
			...call,
			// The type goes in the query too: DingTalk's page notes some clients need it there.
			query: { [MEDIA_TYPE_FIELD]: resolved.type },
			multipart: async () =>
				await buildMultipart(
					{ [MEDIA_TYPE_FIELD]: resolved.type },
					{
						fieldName: MEDIA_FILE_PART,
						fileName,
						contentType,
						size,
						fill: fillFromBinary(ctx, binaryItem, size),
					},
				),
		},
	};
}

export const media: DingTalkResource = {
	option: { name: 'Media', value: 'media' },
	defaultOperation: 'upload',
	fields: mediaFields,
	operations: {
		upload: {
			option: {
				name: 'Upload',
				action: 'Upload a media file',
				description:
					'Upload an image, voice clip, video or document and get its media ID for messages',
			},
			call: {
				family: 'legacy',
				method: 'POST',
				path: PATHS.mediaUpload,
				repeatable: true,
			},
			preSend: async ({ ctx, itemIndex, state }, call) => {
				const options = ctx.getNodeParameter('options', itemIndex, {}) as { fileName?: string };
				const upload = await prepareMediaUpload(ctx, itemIndex, call, {
					property: String(ctx.getNodeParameter('binaryPropertyName', itemIndex, '')),
					requestedType: String(ctx.getNodeParameter('mediaType', itemIndex, 'auto')),
					fileName: options.fileName ?? '',
				});
				Object.assign(state, upload.described);
				return upload.call;
			},
			postReceive: ({ itemIndex, state }, answer) => ({
				json: {
					mediaId: answer.media_id,
					type: answer.type,
					createdAt:
						typeof answer.created_at === 'number'
							? new Date(answer.created_at).toISOString()
							: answer.created_at,
					fileName: state.fileName,
					fileSize: state.fileSize,
					mimeType: state.mimeType,
				},
				pairedItem: { item: itemIndex },
			}),
			concurrency: 2,
		},
	},
};
