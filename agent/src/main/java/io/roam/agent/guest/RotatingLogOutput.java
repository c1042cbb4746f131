package io.roam.agent.guest;

import io.roam.agent.vm.VmLogFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The VM process's standard output and error, written to its log through the descriptor the agent
 * opened (append mode), rotated by {@link VmLogFiles} whenever the log reaches its size cap: a
 * program printing without end fills at most {@code files} files of about {@code maxBytes}.
 *
 * <p>Thread-safety: safe; writes are serialized (System.out and System.err share one instance).
 */
final class RotatingLogOutput extends OutputStream {
  private final OutputStream out;
  private final Path log;
  private final long maxBytes;
  private final int files;
  /** The log's size as far as this process knows (what others write is seen at the next rotation). */
  private long size;

  RotatingLogOutput(OutputStream out, Path log, long maxBytes, int files) {
    this.out = out;
    this.log = log;
    this.maxBytes = maxBytes;
    this.files = files;
    try {
      size = Files.size(log);
    } catch (IOException e) {
      size = 0;
    }
  }

  @Override
  public synchronized void write(int b) throws IOException {
    out.write(b);
    grew(1);
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    grew(len);
  }

  @Override
  public synchronized void flush() throws IOException {
    out.flush();
  }

  private void grew(int n) throws IOException {
    size += n;
    if (size >= maxBytes) {
      out.flush();
      VmLogFiles.rotateIfOver(log, maxBytes, files);
      size = Files.size(log);
    }
  }
}
