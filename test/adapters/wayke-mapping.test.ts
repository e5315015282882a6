/** The canonical vehicle ⇄ Wayke JSON mapping: pure, no mocks. */
import { describe, expect, it } from 'vitest';
import {
  FIELDS_NOT_SENT_TO_WAYKE,
  fromWaykeAd,
  kmToMil,
  MEDIA_GROUPING,
  mediaUrlsOf,
  milToKm,
  toEmbeddedVideoBody,
  toPanoramaContainerForm,
  toWaykeBody,
  toWaykeMedia,
  toWaykeMediaBody,
  WAYKE_FIELD_PATHS,
  WaykePanoramaContainerResponseSchema,
  WaykePanoramaFrameResponseSchema,
  WaykeResponseShapeError,
  withWaykeMedia,
} from '../../functions/adapters/wayke-mapping.js';
import { VehicleFieldSchemas, VehicleSchema, type Vehicle } from '../../functions/core/vehicle.js';
import { sampleVehicle } from '../../functions/local/contract-check/sample.js';

const BRANCH = '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';

/**
 * Every field the mapping sends (the contract-check sample, typed to hold them all), plus the two
 * that never go out. The mileage is spelled out for the 4115 mil the tests expect of it; the
 * description has a line break and non-ASCII letters, which must pass unchanged.
 */
const full: Vehicle = VehicleSchema.parse({
  ...sampleVehicle('ABC123'),
  mileage: 41_150,
  description: 'Välvårdad bil.\nEn ägare.',
  images: ['https://dealer.example/1.jpg'],
  externalId: 'STOCK-77',
});
/** What Wayke carries of `full`: all but the two fields kept out. */
const { images: _images, externalId: _externalId, ...sent } = full;

describe('toWaykeBody', () => {
  it('builds the documented create body (mileage in mil, market code, media)', () => {
    const body = toWaykeBody({
      branchId: BRANCH,
      fields: full,
      status: 'Published',
      mediaUrls: ['https://media.example/a.jpg'],
      create: true,
    });
    // The vehicle section by name; every other sent field goes to the ad section as it is.
    const { registrationNumber, vin, mileage: _km, modelYear, equipment, ...adFields } = sent;
    expect(body).toEqual({
      branch: BRANCH,
      marketCode: 'SE',
      status: 'Published',
      vehicle: { registrationNumber, vin, mileage: 4115, modelYear, equipment },
      ad: { ...adFields, media: [{ fileUrls: ['https://media.example/a.jpg'] }] },
    });
  });

  it('a patch holds only what changes; null clears; images and externalId never go out', () => {
    const body = toWaykeBody({
      branchId: BRANCH,
      fields: { price: 199900, campaignPrice: null, images: ['https://x.example/1.jpg'], externalId: 'S-1' },
    });
    expect(body).toEqual({ branch: BRANCH, ad: { price: 199900, campaignPrice: null } });
    expect(toWaykeBody({ branchId: BRANCH, fields: {}, mediaUrls: [] })).toEqual({ branch: BRANCH, ad: { media: [] } });
    expect(toWaykeBody({ branchId: BRANCH, fields: { mileage: 12345 } }).vehicle).toEqual({ mileage: 1235 });
  });

  it('rounds km to the nearest whole mil', () => {
    expect([0, 4, 5, 14, 15, 41150, 99999].map(kmToMil)).toEqual([0, 0, 1, 1, 2, 4115, 10000]);
    expect(milToKm(4115)).toBe(41150);
  });

  it('does not share arrays with the caller', () => {
    const equipment = ['Dragkrok'];
    const body = toWaykeBody({ branchId: BRANCH, fields: { equipment } });
    equipment.push('later');
    expect(body.vehicle?.equipment).toEqual(['Dragkrok']);
  });

  it('maps every canonical field except the ones kept out', () => {
    const mapped = Object.keys(WAYKE_FIELD_PATHS).sort();
    const all = Object.keys(VehicleFieldSchemas)
      .filter((f) => !(FIELDS_NOT_SENT_TO_WAYKE as readonly string[]).includes(f))
      .sort();
    expect(mapped).toEqual(all);
  });
});

describe('fromWaykeAd', () => {
  it('is the inverse of toWaykeBody for every field Wayke carries (mileage in whole mil)', () => {
    const body = toWaykeBody({
      branchId: BRANCH,
      fields: full,
      status: 'Sold',
      mediaUrls: ['https://m.example/1.jpg', 'https://m.example/2.jpg'],
      create: true,
    });
    const ad = fromWaykeAd({ id: 'ad-1', ...body });
    expect(ad).toEqual({
      id: 'ad-1',
      branchId: BRANCH,
      status: 'Sold',
      vehicle: sent,
      mediaUrls: ['https://m.example/1.jpg', 'https://m.example/2.jpg'],
    });
    // And back again: the same body.
    expect(
      toWaykeBody({
        branchId: ad.branchId!,
        fields: ad.vehicle,
        status: ad.status,
        mediaUrls: ad.mediaUrls,
        create: true,
      }),
    ).toEqual(body);
  });

  it('holds for minimal vehicles and many mileages (km multiple of 10)', () => {
    for (const mileage of [0, 10, 990, 123450, 4_000_000]) {
      const vehicle: Vehicle = { registrationNumber: 'XYZ99A', price: 1, mileage };
      const ad = fromWaykeAd({
        id: 'a',
        ...toWaykeBody({ branchId: BRANCH, fields: vehicle, status: 'Published', create: true }),
      });
      expect(ad.vehicle).toEqual(vehicle);
      expect(ad.mediaUrls).toEqual([]);
    }
  });

  it('drops a malformed optional field and keeps the rest', () => {
    const ad = fromWaykeAd({
      id: 'a',
      branch: BRANCH,
      status: 'Published',
      vehicle: { registrationNumber: 'abc 123', mileage: 10, vin: 'bad' },
      ad: { price: 5, deductibleVat: 'yes', extra: 1 },
    });
    expect(ad.vehicle).toEqual({ registrationNumber: 'ABC123', mileage: 100, price: 5 });
  });

  it('keeps documents when Wayke adds keys of its own to them', () => {
    const ad = fromWaykeAd({
      id: 'a',
      status: 'Published',
      vehicle: { registrationNumber: 'ABC123', mileage: 1 },
      ad: {
        price: 5,
        documents: [
          { id: 'd1', url: 'https://x.example/a.pdf', name: 'A', type: 'pdf' },
          { url: 'https://x.example/b.pdf', name: null },
        ],
      },
    });
    expect(ad.vehicle.documents).toEqual([
      { url: 'https://x.example/a.pdf', name: 'A' },
      { url: 'https://x.example/b.pdf' },
    ]);
  });

  it('refuses an ad without a mandatory field or with an unknown status', () => {
    expect(() =>
      fromWaykeAd({ id: 'a', status: 'Published', vehicle: { registrationNumber: 'ABC123' }, ad: { price: 5 } }),
    ).toThrow(/vehicle\.mileage is missing/);
    expect(() =>
      fromWaykeAd({
        id: 'a',
        status: 'Published',
        vehicle: { registrationNumber: 'ABC123', mileage: -1 },
        ad: { price: 5 },
      }),
    ).toThrow(WaykeResponseShapeError);
    expect(() => fromWaykeAd({ id: 'a', status: 'Archived', vehicle: {}, ad: {} })).toThrow(/status/);
    expect(() => fromWaykeAd('nope')).toThrow(WaykeResponseShapeError);
  });

  it('flattens media lists and ignores junk', () => {
    expect(mediaUrlsOf([{ fileUrls: ['a', 'b'] }, { fileUrls: ['c', 3] }, null, { other: 1 }])).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(mediaUrlsOf(undefined)).toEqual([]);
    expect(mediaUrlsOf(toWaykeMedia(['x', 'y']))).toEqual(['x', 'y']);
  });
});

describe('fromWaykeAd: what Wayke adds from the vehicle registry', () => {
  const base = {
    id: 'ad-9',
    status: 'Published',
    vehicle: { registrationNumber: 'ABC123', mileage: 1200 },
    ad: { price: 99000 },
  };

  it('maps the registry facts to the project names; a date-time first registration becomes a date', () => {
    const ad = fromWaykeAd({
      ...base,
      vehicle: {
        ...base.vehicle,
        manufacturer: 'Volvo',
        modelName: 'V60',
        modelSeries: 'T6 Recharge',
        fuelType: 'Bensin/El',
        gearBox: 'Automat',
        color: 'Silver',
        firstRegistrationDate: '2020-11-03T00:00:00Z',
        vehicleIdentificationNumber: 'yv1zwa8udl2123456',
      },
    });
    expect(ad.details).toEqual({
      make: 'Volvo',
      model: 'V60',
      variant: 'T6 Recharge',
      fuel: 'Bensin/El',
      gearbox: 'Automat',
      colour: 'Silver',
      firstRegistration: '2020-11-03',
      vin: 'YV1ZWA8UDL2123456',
    });
    expect(ad.vehicle).toEqual({ registrationNumber: 'ABC123', mileage: 12000, price: 99000 });
  });

  it('drops what is empty or malformed, and has no details at all when Wayke returned none', () => {
    expect(
      fromWaykeAd({
        ...base,
        vehicle: {
          ...base.vehicle,
          manufacturer: '  ',
          color: 7,
          firstRegistrationDate: 'last spring',
          vehicleIdentificationNumber: 'IOQ',
        },
      }).details,
    ).toBeUndefined();
    expect(fromWaykeAd(base).details).toBeUndefined();
  });
});

describe('toWaykeMedia: one media[] entry per media item', () => {
  const images = Array.from({ length: 12 }, (_, i) => `https://media.example/${i}.jpg`);
  const frames = ['https://media.example/360/a', 'https://media.example/360/b', 'https://media.example/360/c'];
  const videos = ['https://www.youtube.com/watch?v=abc', 'https://vimeo.com/1'];

  it('gives a gallery of 12 images 12 entries, in order', () => {
    const list = toWaykeMedia(images);
    expect(list).toHaveLength(12);
    expect(list.map((entry) => entry.fileUrls)).toEqual(images.map((url) => [url]));
  });

  it('puts the images first, then the whole 360 set as one entry, then one entry per video', () => {
    expect(toWaykeMedia(images.slice(0, 2), { panoramaUrls: frames, videoUrls: videos })).toEqual([
      { fileUrls: [images[0]] },
      { fileUrls: [images[1]] },
      { fileUrls: frames },
      { fileUrls: [videos[0]] },
      { fileUrls: [videos[1]] },
    ]);
    expect(MEDIA_GROUPING).toBe('entry-per-image');
  });

  it('the other grouping puts the gallery in one entry and leaves the 360 set and videos as they are', () => {
    expect(toWaykeMedia(images.slice(0, 2), { videoUrls: videos.slice(0, 1) }, 'one-gallery-entry')).toEqual([
      { fileUrls: images.slice(0, 2) },
      { fileUrls: [videos[0]] },
    ]);
    expect(toWaykeMedia([], {}, 'one-gallery-entry')).toEqual([]);
  });

  it('sends the whole list in a body, and clears with an empty one', () => {
    expect(toWaykeMediaBody([], { videoUrls: videos.slice(0, 1) })).toEqual({ media: [{ fileUrls: [videos[0]] }] });
    expect(toWaykeMediaBody([])).toEqual({ media: [] });
    const body = withWaykeMedia(toWaykeBody({ branchId: BRANCH, fields: { price: 1 } }), ['https://media.example/1'], {
      panoramaUrls: frames,
    });
    expect(body.ad).toEqual({ price: 1, media: [{ fileUrls: ['https://media.example/1'] }, { fileUrls: frames }] });
  });

  it('reads a typed media list back as its urls in order', () => {
    const read = [
      { type: 'image', fileUrls: ['i1'] },
      { type: 'threesixty', fileUrls: ['f1', 'f2'] },
      { type: 'embedded', fileUrls: ['v1'] },
    ];
    expect(mediaUrlsOf(read)).toEqual(['i1', 'f1', 'f2', 'v1']);
  });
});

describe('media answers', () => {
  it('reads a panorama container id bare, JSON-quoted or in an object, and nothing else', () => {
    const id = '0316f21d-51cf-441d-bfef-cf90d73178a5';
    for (const body of [id, ` ${id}\n`, { containerId: id }, { id }])
      expect(WaykePanoramaContainerResponseSchema.parse(body)).toEqual({ containerId: id });
    for (const body of ['not-a-uuid', {}, null, 42])
      expect(WaykePanoramaContainerResponseSchema.safeParse(body).success).toBe(false);
  });

  it('reads a frame upload as imageId and url, and builds the documented container form and video body', () => {
    expect(WaykePanoramaFrameResponseSchema.safeParse({ imageId: 'x', url: 'https://cdn.example/m/c/x' }).success).toBe(
      true,
    );
    expect(WaykePanoramaFrameResponseSchema.safeParse({ url: 'https://cdn.example/m/c/x' }).success).toBe(false);
    expect(Object.fromEntries(toPanoramaContainerForm({ branchId: BRANCH, sortOrder: 3 }))).toEqual({
      'Metadata.Purpose': 'Vehicle',
      'Metadata.BranchId': BRANCH,
      'Metadata.SortOrder': '3',
    });
    expect(toEmbeddedVideoBody({ branchId: BRANCH, url: 'https://vimeo.com/1', sortOrder: 1 })).toEqual({
      purpose: 'Vehicle',
      branchId: BRANCH,
      sortOrder: 1,
      url: 'https://vimeo.com/1',
    });
  });
});
