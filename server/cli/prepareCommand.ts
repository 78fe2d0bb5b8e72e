import { basename } from 'node:path';
import type { PreparedImageInfo } from '../../protocol/thought';
import { ImageError, prepareImage } from '../image/imagePrep';
import { EXIT, intOption, parseCommandLine, printJson, UsageError } from './cliArgs';

const USAGE = `Usage: virgo prepare IMAGE [--max-pixels N] [--min-pixels N] [--json]

Checks IMAGE and shows the size Qwen2-VL will see (smart_resize, factor 28) and its
visual-token cost. Nothing is sent anywhere.
  --max-pixels N   pixel budget (default 12845056, the model's own)
  --min-pixels N   lower bound (default 3136)
  --json           one JSON object: width, height, sentWidth, sentHeight, imageTokens, mime, bytes`;

export async function run(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommandLine(argv, {
      'max-pixels': { type: 'string' },
      'min-pixels': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    }, USAGE);
    if (values.help) { process.stdout.write(USAGE + '\n'); return EXIT.ok; }
    if (positionals.length !== 1) throw new UsageError(`virgo prepare takes one IMAGE.\n\n${USAGE}`);
    const image = await prepareImage(positionals[0], {
      maxPixels: intOption(values['max-pixels'], 'max-pixels'),
      minPixels: intOption(values['min-pixels'], 'min-pixels'),
    });
    const info: PreparedImageInfo = {
      width: image.width, height: image.height, sentWidth: image.sentWidth, sentHeight: image.sentHeight,
      imageTokens: image.imageTokens, mime: image.mime, bytes: image.bytes,
    };
    if (values.json) printJson(info);
    else {
      process.stdout.write(
        `${basename(image.file)}: ${image.sourceFormat.toUpperCase()} ${info.width}×${info.height}` +
        ` → sent as ${info.sentWidth}×${info.sentHeight} ${info.mime === 'image/png' ? 'PNG' : 'JPEG'}` +
        ` (${info.imageTokens.toLocaleString('en-US')} visual tokens, ${formatBytes(info.bytes)})\n`,
      );
    }
    return EXIT.ok;
  } catch (e) {
    if (e instanceof ImageError || e instanceof UsageError) {
      process.stderr.write(`virgo: ${e.message}\n`);
      return EXIT.badInput;
    }
    throw e;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
