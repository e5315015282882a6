import { videoUrlProblem } from '../vehicle.js';
import { FEED_LIMITS } from './limits.js';
import type { FieldProblem } from './record.js';

/**
 * A link among the images that Wayke would embed as a video (YouTube, Vimeo, a direct `.mp4`):
 * DMSs often list the car's film with its pictures. As an image it would fail to load (or show a
 * web page's preview at best), so it is moved to the videos. A thumbnail on `img.youtube.com` or
 * `i.ytimg.com` is a picture and stays.
 */
const isVideoLink = (url: string): boolean => MAY_BE_VIDEO.test(url) && videoUrlProblem(url) === null;

/**
 * What the text of a video link must contain: the hosts' names or `.mp4`, or something the URL
 * parser would turn into them (`%` escapes, tabs and line breaks it drops, non-ASCII letters it
 * maps). A cheap test, and exact: every image is checked, and parsing each as a URL again cost
 * ~100 ms on a 10,000-car feed.
 */
const MAY_BE_VIDEO = /youtu|vimeo|\.mp4|[\t\n\r%\u0080-\uffff]/i;

function movedWarning(moved: readonly string[]): FieldProblem {
  const shown = moved
    .slice(0, 5)
    .map((url) => `"${url}"`)
    .join(', ');
  const more = moved.length > 5 ? ` and ${moved.length - 5} more` : '';
  const what = moved.length === 1 ? 'a video link' : `${moved.length} video links`;
  return { field: 'images', message: `moved ${what} to the videos (a video is not an image): ${shown}${more}` };
}

/**
 * Moves video links from a vehicle's validated images to its videos, after the videos the feed
 * lists itself (a link in both is kept once). Together the videos stay within the list limit;
 * beyond it the vehicle is rejected, as a too long video column would reject it.
 */
export function moveVideoLinks(
  vehicle: Record<string, unknown>,
  warnings: FieldProblem[],
  errors: FieldProblem[],
): void {
  const images = vehicle.images as string[] | undefined;
  const moved = images?.filter(isVideoLink) ?? [];
  if (!images || moved.length === 0) return;
  const kept = images.filter((url) => !isVideoLink(url));
  const videos = [...((vehicle.videos as string[] | undefined) ?? [])];
  for (const url of moved) if (!videos.includes(url)) videos.push(url);
  if (kept.length > 0) vehicle.images = kept;
  else delete vehicle.images;
  warnings.push(movedWarning(moved));
  if (videos.length > FEED_LIMITS.listItems) {
    errors.push({
      field: 'videos',
      code: 'TOO_MANY_ITEMS',
      message: `has ${videos.length} items with the video links among the images; a vehicle may have at most ${FEED_LIMITS.listItems}`,
      messageSv: `har ${videos.length} poster med videolänkarna bland bilderna; ett fordon får ha högst ${FEED_LIMITS.listItems}`,
    });
    return;
  }
  vehicle.videos = videos;
}
