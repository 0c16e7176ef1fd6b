// stdout sink: the same canonical JSONL lines, for container log collection. A write resolves
// when the stream accepted it (a pipe gives no stronger guarantee).
export class StdoutSink {
  readonly name = 'stdout';
  written = 0;
  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {}

  write(data: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.write(data, (err) => {
        if (err) reject(err);
        else {
          if (data !== '') this.written += data.split('\n').length - 1;
          resolve();
        }
      });
    });
  }

  flush(): Promise<void> {
    return this.write('');
  }

  close(): Promise<void> {
    return this.flush();
  }
}
