/** A controllable EventSource: tests push messages into the open streams. */
export class FakeEventSource {
  static CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = 1;
  onopen: (() => void) | null = null;
  onmessage: ((e: MessageEvent<string>) => void) | null = null;
  onerror: (() => void) | null = null;
  listeners = new Map<string, (e: MessageEvent<string>) => void>();
  constructor(public url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(name: string, fn: (e: MessageEvent<string>) => void) {
    this.listeners.set(name, fn);
  }
  close() {
    this.readyState = FakeEventSource.CLOSED;
  }
  emit(data: string) {
    this.onmessage?.(new MessageEvent('message', { data }));
  }
  emitNamed(name: string, data: string) {
    this.listeners.get(name)?.(new MessageEvent(name, { data }));
  }
  /** The streams not closed yet. */
  static open(): FakeEventSource[] {
    return FakeEventSource.instances.filter((s) => s.readyState !== FakeEventSource.CLOSED);
  }
}
