import type { PlayerPort } from '@handoff/client';
import type { Playback, Track } from '@handoff/protocol';

/** A tone per track (its pitch from the uri), so which tab is playing what can be heard and measured. */
function frequencyOf(uri: string): number {
  let h = 0;
  for (let i = 0; i < uri.length; i++) h = (h * 31 + uri.charCodeAt(i)) >>> 0;
  return 220 * 2 ** ((h % 24) / 12);
}

export interface AudioState {
  playing: boolean;
  trackUri: string | null;
  frequency: number | null;
  /** Level measured at the output (RMS of the last 2048 samples): > 0 means sound is produced. */
  level: number;
  contextState: AudioContextState;
}

/**
 * The browser's audio output as a PlayerPort: Web Audio plays a generated tone for the current
 * track (no media is fetched), through a gain and an analyser, so tests and the UI can read the
 * real output level instead of trusting a flag.
 */
export class WebAudioPlayer implements PlayerPort {
  private readonly ctx: AudioContext;
  private readonly gain: GainNode;
  private readonly analyser: AnalyserNode;
  private osc: OscillatorNode | null = null;
  private stopAt: number | null = null;
  private sound: { track: Track; positionMs: number; startedAt: number } | null = null;
  private volume = 0.5;
  private readonly buffer = new Float32Array(2048);
  /** Every start and stop with the wall-clock time it happened (ms since the epoch): ground truth for tests. */
  readonly history: Array<{ type: 'start' | 'stop'; at: number; trackUri: string; positionMs: number }> = [];

  constructor() {
    this.ctx = new AudioContext({ latencyHint: 'interactive' });
    this.gain = this.ctx.createGain();
    this.analyser = this.ctx.createAnalyser();
    this.analyser.fftSize = 2048;
    this.gain.connect(this.analyser).connect(this.ctx.destination);
    this.gain.gain.value = this.volume;
  }

  /** Browsers start audio suspended until a user gesture: call from a click. */
  async unlock(): Promise<void> {
    if (this.ctx.state !== 'running') await this.ctx.resume();
  }

  prepare(playback: Playback): Promise<void> {
    if (!playback.track) return Promise.reject(new Error('nothing to play'));
    return this.unlock();
  }

  start(track: Track, positionMs: number): void {
    this.scheduleStart(track, positionMs, this.clockNow());
  }

  stop(): void {
    if (this.sound && this.playing) this.history.push({ type: 'stop', at: this.clockNow(), trackUri: this.sound.track.uri, positionMs: this.positionMs() });
    this.osc?.stop();
    this.osc?.disconnect();
    this.osc = null;
    this.sound = null;
    this.stopAt = null;
  }

  /** Start on the audio clock at `atLocalMs` (the client's clock: performance.timeOrigin + now). */
  scheduleStart(track: Track, positionMs: number, atLocalMs: number): void {
    this.stop();
    const osc = this.ctx.createOscillator();
    osc.type = 'triangle';
    osc.frequency.value = frequencyOf(track.uri);
    osc.connect(this.gain);
    osc.start(this.audioTime(atLocalMs));
    this.osc = osc;
    this.sound = { track, positionMs, startedAt: atLocalMs - performance.timeOrigin };
    this.history.push({ type: 'start', at: atLocalMs, trackUri: track.uri, positionMs });
  }

  /** Stop on the audio clock at `atLocalMs`. */
  scheduleStop(atLocalMs: number): void {
    if (!this.osc || !this.sound) return;
    this.osc.stop(this.audioTime(atLocalMs));
    this.stopAt = atLocalMs;
    this.history.push({ type: 'stop', at: atLocalMs, trackUri: this.sound.track.uri, positionMs: this.positionMs() + Math.max(0, atLocalMs - this.clockNow()) });
  }

  get playing(): boolean {
    const now = this.clockNow();
    return this.sound !== null && now >= this.sound.startedAt + performance.timeOrigin && (this.stopAt === null || now < this.stopAt);
  }

  private clockNow(): number {
    return performance.timeOrigin + performance.now();
  }

  /** A time on the client's clock as AudioContext time (both advance in real time). */
  private audioTime(atLocalMs: number): number {
    return Math.max(this.ctx.currentTime, this.ctx.currentTime + (atLocalMs - this.clockNow()) / 1000);
  }

  get trackUri(): string | null {
    return this.sound?.track.uri ?? null;
  }

  positionMs(): number {
    if (!this.sound) return 0;
    return Math.min(this.sound.track.durationMs, this.sound.positionMs + performance.now() - this.sound.startedAt);
  }

  setVolume(percent: number): void {
    this.volume = percent / 100;
    this.gain.gain.setTargetAtTime(this.volume, this.ctx.currentTime, 0.01);
  }

  state(): AudioState {
    this.analyser.getFloatTimeDomainData(this.buffer);
    let sum = 0;
    for (const v of this.buffer) sum += v * v;
    return {
      playing: this.playing,
      trackUri: this.trackUri,
      frequency: this.osc?.frequency.value ?? null,
      level: Math.sqrt(sum / this.buffer.length),
      contextState: this.ctx.state,
    };
  }

  close(): void {
    this.stop();
    void this.ctx.close();
  }
}
