import { describe, expect, it } from 'vitest';
import { FEED_LIMITS } from '../../../functions/core/feed/limits.js';
import { readFeed, type FeedReadResult } from '../../../functions/core/feed/index.js';
import { MappingProfileSchema } from '../../../functions/core/mapping-profile.js';
import { VehicleSchema } from '../../../functions/core/vehicle.js';

const now = new Date('2026-11-29T12:00:00Z');
const read = (input: string | Uint8Array, options: Partial<Parameters<typeof readFeed>[1]> = {}): FeedReadResult =>
  readFeed(typeof input === 'string' ? Buffer.from(input, 'utf8') : input, { now, ...options });
const only = (result: FeedReadResult) => {
  expect(result.error).toBeNull();
  expect(result.rejected).toEqual([]);
  expect(result.vehicles).toHaveLength(1);
  const vehicle = result.vehicles[0]!.vehicle;
  // What the reader returns is a valid canonical vehicle, media included.
  expect(VehicleSchema.parse(vehicle)).toEqual(vehicle);
  return vehicle;
};
const frames = (count: number, host = 'bilder.example.se'): string[] =>
  Array.from({ length: count }, (_, i) => `https://${host}/abc123/360/${String(i + 1).padStart(2, '0')}.jpg`);

describe('video links from a feed', () => {
  it('reads a Windows-1252 CSV whose Film column holds two links and a junk one: the junk is dropped with why, the row kept', () => {
    const csv =
      'Regnr;Pris;Miltal;Märke;Film\r\n' +
      'ABC123;189 900;4 410;Škoda;https://youtu.be/dQw4w9WgXcQ|https://vimeo.com/76979871|www.bilhallen.se/film\r\n';
    const result = read(Buffer.from(csv, 'latin1'));
    expect(result.encoding).toBe('windows-1252');
    expect(only(result).videos).toEqual(['https://youtu.be/dQw4w9WgXcQ', 'https://vimeo.com/76979871']);
    expect(result.warnings).toContainEqual({
      row: 2,
      field: 'videos',
      message: 'left out an item: "www.bilhallen.se/film" (must be an http(s) URL)',
    });
  });

  it('drops a link that is a URL but no video Wayke can embed, saying so', () => {
    const result = read('regnr;pris;miltal;video\nABC123;189900;4410;https://www.bilhallen.se/film.html\n');
    expect(only(result).videos).toBeUndefined();
    expect(result.warnings).toContainEqual({
      row: 2,
      field: 'videos',
      message:
        'left out an item: "https://www.bilhallen.se/film.html" (must be a YouTube or Vimeo link or an .mp4 file)',
    });
  });

  it('drops a video link to a private address (Wayke fetches from inside its network)', () => {
    const result = read(
      'regnr;pris;miltal;video\nABC123;189900;4410;http://10.0.0.5/film.mp4|https://cdn.example.se/a.mp4\n',
    );
    expect(only(result).videos).toEqual(['https://cdn.example.se/a.mp4']);
    expect(result.warnings[0]!.message).toMatch(/"http:\/\/10\.0\.0\.5\/film\.mp4" \(must point to a public host/);
  });

  it('reads XML <Video> elements, a <Videos> list and a <Film> element', () => {
    const repeated = read(
      '<bilar><bil><regnr>ABC123</regnr><pris>1</pris><miltal>1</miltal>' +
        '<Video>https://youtu.be/a1</Video><Video>https://youtu.be/a2</Video></bil></bilar>',
    );
    expect(only(repeated).videos).toEqual(['https://youtu.be/a1', 'https://youtu.be/a2']);
    const listed = read(
      '<bilar><bil><regnr>ABC123</regnr><pris>1</pris><miltal>1</miltal>' +
        '<Videos><Video>https://vimeo.com/1</Video><Video>https://cdn.example.se/b.mp4</Video></Videos></bil></bilar>',
    );
    expect(only(listed).videos).toEqual(['https://vimeo.com/1', 'https://cdn.example.se/b.mp4']);
    const film = read(
      '<bilar><bil><regnr>ABC123</regnr><pris>1</pris><miltal>1</miltal><Film>https://www.youtube.com/watch?v=x</Film></bil></bilar>',
    );
    expect(only(film).videos).toEqual(['https://www.youtube.com/watch?v=x']);
  });

  it('reads a JSON videos array', () => {
    const result = read(
      JSON.stringify([{ regnr: 'ABC123', pris: 1, miltal: 1, videos: ['https://youtu.be/a', 'https://vimeo.com/2'] }]),
    );
    expect(only(result).videos).toEqual(['https://youtu.be/a', 'https://vimeo.com/2']);
  });
});

describe('video links among the images', () => {
  it('moves a youtu.be link from the image list to the videos, with a warning, and keeps the pictures', () => {
    const result = read(
      'regnr;pris;miltal;bilder\nABC123;189900;4410;https://bilder.example.se/1.jpg|https://youtu.be/dQw4w9WgXcQ|https://bilder.example.se/2.jpg\n',
    );
    const vehicle = only(result);
    expect(vehicle.images).toEqual(['https://bilder.example.se/1.jpg', 'https://bilder.example.se/2.jpg']);
    expect(vehicle.videos).toEqual(['https://youtu.be/dQw4w9WgXcQ']);
    expect(result.warnings).toEqual([
      {
        row: 2,
        field: 'images',
        message: 'moved a video link to the videos (a video is not an image): "https://youtu.be/dQw4w9WgXcQ"',
      },
    ]);
  });

  it('adds a moved link after the video column’s own links, once, and keeps a YouTube thumbnail as a picture', () => {
    const result = read(
      'regnr;pris;miltal;bilder;video\n' +
        'ABC123;1;1;https://img.youtube.com/vi/x/0.jpg|https://vimeo.com/9|https://youtu.be/a;https://youtu.be/a\n',
    );
    const vehicle = only(result);
    expect(vehicle.images).toEqual(['https://img.youtube.com/vi/x/0.jpg']);
    expect(vehicle.videos).toEqual(['https://youtu.be/a', 'https://vimeo.com/9']);
    expect(result.warnings[0]!.message).toMatch(/^moved 2 video links to the videos/);
  });

  it('leaves no image list when every "image" was a video', () => {
    const vehicle = only(read('regnr;pris;miltal;bilder\nABC123;1;1;https://youtu.be/a\n'));
    expect(vehicle).not.toHaveProperty('images');
    expect(vehicle.videos).toEqual(['https://youtu.be/a']);
  });
});

describe('360 frames from a feed', () => {
  it('reads an XML <Bilder360> of 36 frames in their order', () => {
    const set = frames(36);
    const result = read(
      `<?xml version="1.0" encoding="UTF-8"?><annonser><annons><regnr>ABC123</regnr><pris>189900</pris><miltal>4410</miltal>` +
        `<Bilder360>${set.map((url) => `<Bild>${url}</Bild>`).join('')}</Bilder360></annons></annonser>`,
    );
    expect(only(result).panorama).toEqual(set);
    expect(result.warnings).toEqual([]);
  });

  it('reads <ThreeSixty> and <Panorama> lists', () => {
    for (const name of ['ThreeSixty', 'Panorama']) {
      const result = read(
        `<bilar><bil><regnr>ABC123</regnr><pris>1</pris><miltal>1</miltal><${name}>${frames(3)
          .map((url) => `<Frame>${url}</Frame>`)
          .join('')}</${name}></bil></bilar>`,
      );
      expect(only(result).panorama).toEqual(frames(3));
    }
  });

  it('reads a CSV 360 column and a JSON panorama or threeSixty array', () => {
    expect(only(read(`regnr;pris;miltal;360\nABC123;1;1;${frames(4).join('|')}\n`)).panorama).toEqual(frames(4));
    for (const key of ['panorama', 'threeSixty'])
      expect(only(read(JSON.stringify([{ regnr: 'ABC123', pris: 1, miltal: 1, [key]: frames(2) }]))).panorama).toEqual(
        frames(2),
      );
  });

  it('refuses an http://localhost frame (not public) and keeps the others in order', () => {
    const set = frames(3);
    const result = read(`regnr;pris;miltal;360\nABC123;1;1;${set[0]}|http://localhost/360/02.jpg|${set[2]}\n`);
    expect(only(result).panorama).toEqual([set[0], set[2]]);
    expect(result.warnings).toEqual([
      {
        row: 2,
        field: 'panorama',
        message: 'left out an item: "http://localhost/360/02.jpg" (must point to a public host name)',
      },
    ]);
  });

  it('rejects the vehicle, not the file, for a hostile set of 100,000 frames', () => {
    const result = read(
      `regnr;pris;miltal;360\nABC123;1;1;${frames(100_000, 'x.example.se').join('|')}\nDEF456;2;2;${frames(2).join('|')}\n`,
    );
    expect(result.error).toBeNull();
    expect(result.vehicles.map(({ vehicle }) => vehicle.registrationNumber)).toEqual(['DEF456']);
    expect(result.rejected).toEqual([
      {
        row: 2,
        registrationNumber: 'ABC123',
        errors: [
          {
            field: 'panorama',
            code: 'TOO_MANY_ITEMS',
            message: `has 100000 items; a vehicle may have at most ${FEED_LIMITS.listItems}`,
            messageSv: `har 100000 poster; ett fordon får ha högst ${FEED_LIMITS.listItems}`,
          },
        ],
      },
    ]);
  });

  it('rejects a vehicle whose videos, with the links moved from its images, exceed the list limit', () => {
    const links = (prefix: string) =>
      Array.from({ length: FEED_LIMITS.listItems }, (_, i) => `https://youtu.be/${prefix}${i}`).join('|');
    const result = read(`regnr;pris;miltal;video;bilder\nABC123;1;1;${links('a')};${links('b')}\n`);
    expect(result.vehicles).toEqual([]);
    expect(result.rejected[0]!.errors).toEqual([expect.objectContaining({ field: 'videos', code: 'TOO_MANY_ITEMS' })]);
  });
});

describe('the mapping profile names the media columns', () => {
  it('reads videos and panorama from the columns the profile names, and no alias beside them', () => {
    const mapping = MappingProfileSchema.parse({ fields: { videos: 'Filmlänk', panorama: ['Snurrbilder'] } });
    const result = read(
      `regnr;pris;miltal;Filmlänk;Snurrbilder;video\nABC123;1;1;https://youtu.be/a;${frames(2).join('|')};https://youtu.be/other\n`,
      { mapping },
    );
    const vehicle = only(result);
    expect(vehicle.videos).toEqual(['https://youtu.be/a']);
    expect(vehicle.panorama).toEqual(frames(2));
    expect(result.warnings).toContainEqual({ row: 0, field: '*', message: 'not used (no matching field): "video"' });
  });
});
