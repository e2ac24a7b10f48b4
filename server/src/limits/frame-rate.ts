import { FloodCount } from './flood-count.ts';
import { TokenBucket } from './token-bucket.ts';

/** What to do with one frame: take it, drop it, drop it and say so (the first drop of a flood), or close the socket. */
export type FrameVerdict = 'take' | 'drop' | 'drop-first' | 'close';

/**
 * One socket's frame rate: `ratePerSec` frames a second on average, `burst` at once. Over the rate
 * a frame is dropped. The first drop of a flood is answered (answering every one would amplify the
 * flood); once a second burst's worth has been dropped, the socket is closed. A flood lasts until a
 * whole second passes without a drop: the frames the bucket still lets through meanwhile (its rate)
 * do not end it, so a sustained flood at any rate over the limit is closed, not only one fast
 * enough to overrun a burst between two refills.
 */
export class FrameRate {
  private readonly bucket: TokenBucket;
  private readonly dropped: FloodCount;

  constructor(burst: number, ratePerSec: number, now: number) {
    this.bucket = new TokenBucket(ratePerSec, burst, now);
    this.dropped = new FloodCount(burst);
  }

  take(now: number): FrameVerdict {
    if (this.bucket.take(now)) return 'take';
    const step = this.dropped.refused(now);
    return step === 'over' ? 'close' : step === 'first' ? 'drop-first' : 'drop';
  }
}
