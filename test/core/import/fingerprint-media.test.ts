/** The fingerprint's media group: images, the 360 set and videos together, apart from the data. */
import { describe, expect, it } from 'vitest';
import { dataFields, fingerprint, imagesHash, mediaHash } from '../../../functions/core/import/fingerprint.js';
import type { Vehicle } from '../../../functions/core/vehicle.js';

const car: Vehicle = {
  registrationNumber: 'ABC123',
  price: 100_000,
  mileage: 50_000,
  images: ['https://img.test/1.jpg', 'https://img.test/2.jpg'],
};

describe('media group', () => {
  it('is the old images hash for a car without videos or a 360 set, so old snapshot entries stay unchanged', () => {
    expect(fingerprint(car).groups.images).toBe(imagesHash(car.images));
    expect(mediaHash({ ...car, videos: [], panorama: [] })).toBe(imagesHash(car.images));
  });

  it('changes with a video or a frame, and leaves the data group and the field hashes alone', () => {
    const base = fingerprint(car);
    const withVideo = fingerprint({ ...car, videos: ['https://vimeo.com/1'] });
    const otherVideo = fingerprint({ ...car, videos: ['https://vimeo.com/2'] });
    const withSpin = fingerprint({ ...car, panorama: ['https://img.test/360/1.jpg', 'https://img.test/360/2.jpg'] });
    const reordered = fingerprint({ ...car, panorama: ['https://img.test/360/2.jpg', 'https://img.test/360/1.jpg'] });
    const groups = [base, withVideo, otherVideo, withSpin, reordered].map((p) => p.groups.images);
    expect(new Set(groups).size).toBe(5);
    for (const print of [withVideo, otherVideo, withSpin, reordered]) {
      expect(print.groups.data).toBe(base.groups.data);
      expect(print.fields).toEqual(base.fields);
      expect(print.hash).not.toBe(base.hash);
    }
  });

  it('never sends videos or frames as ad fields', () => {
    expect(
      dataFields({ ...car, videos: ['https://vimeo.com/1'], panorama: ['https://img.test/a.jpg'] }).sort(),
    ).toEqual(['mileage', 'price']);
  });
});
