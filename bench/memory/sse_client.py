"""Holds server-sent event streams open for bench/memory/run.sh.

Usage: sse_client.py HOST PORT PATH TOKEN. Reads target counts on stdin, one
a line; for each, opens (or closes) streams until that many are open and
answers one line: "open=<alive> rejected=<k> last=<status line>". A stream
counts only once its response head said 200 and text/event-stream; the body
(heartbeats, log lines) is read and dropped so the server never blocks on it.
"""
import asyncio
import sys

BATCH = 50  # connections opened at once: a burst of hundreds only measures the accept queue


async def open_stream(host, port, request):
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
        return None, f"error {e!r}"
    status = head.split(b"\r\n", 1)[0].decode(errors="replace")
    fields = status.split()
    if len(fields) < 2 or fields[1] != "200" or b"text/event-stream" not in head.lower():
        writer.close()
        return None, status
    return (writer, asyncio.create_task(drain(reader))), status


async def drain(reader):
    while await reader.read(65536):
        pass


async def main(host, port, path, token):
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
               f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n").encode()
    streams = []
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        target = int(line)
        streams = [s for s in streams if not s[1].done()]  # ended by the server: no longer open
        rejected, last = 0, "-"
        while len(streams) > target:
            writer, task = streams.pop()
            writer.close()
            task.cancel()
        while len(streams) < target:
            want = min(BATCH, target - len(streams))
            results = await asyncio.gather(*(open_stream(host, port, request) for _ in range(want)))
            for stream, status in results:
                last = status
                if stream is None:
                    rejected += 1
                else:
                    streams.append(stream)
            if all(stream is None for stream, _ in results):
                break  # refused outright (a limit): asking again changes nothing
        await asyncio.sleep(0.5)  # a stream the server ends at once must not count
        alive = sum(not task.done() for _, task in streams)
        print(f"open={alive} rejected={rejected} last={last}", flush=True)
    for writer, task in streams:
        writer.close()
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]))
