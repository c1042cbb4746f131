package io.roam.master.cli;

import io.roam.proto.ReadVmLogRequest;
import io.roam.proto.VmLogChunk;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * `roamctl vm logs VM [-f]`: a VM's output (its program's standard output and error), read from the
 * host that runs it through the master. With {@code -f} it keeps printing what the VM writes, like
 * `tail -f`: across a rotation of the log, and across a migration or an HA restart (the log then
 * continues on the new host, and a line on standard error says so).
 */
@Command(name = "logs", mixinStandardHelpOptions = true,
    description = {"Print a VM's log (its program's output), from the host that runs it.",
        "Needs role operator: a VM's output may hold its data."})
final class VmLogsCommand extends Roamctl.Leaf {
  /** How often -f asks for more: a log is read by people, and a read is one call to the master. */
  static final long FOLLOW_INTERVAL_MS = 500;

  @Parameters(paramLabel = "VM")
  String vm;

  @Option(names = {"-f", "--follow"}, description = "keep printing what the VM writes (Ctrl-C stops)")
  boolean follow;

  @Option(names = "--bytes", paramLabel = "N", description = "start with the last N bytes of the log"
      + " (default: ${DEFAULT-VALUE}; at most 1048576)", defaultValue = "65536")
  int bytes;

  @Override
  public Integer call() throws Exception {
    if (bytes < 1 || bytes > (1 << 20)) {
      throw new IllegalArgumentException("--bytes must be from 1 to 1048576, not " + bytes);
    }
    VmLogChunk c = read(-1, bytes, "");
    write(c);
    String host = c.getHost();
    while (follow) {
      if (c.getNextOffset() >= c.getSize()) { // read up to the end: wait for more
        TimeUnit.MILLISECONDS.sleep(FOLLOW_INTERVAL_MS);
      }
      VmLogChunk next = read(c.getNextOffset(), 0, c.getFileId());
      if (!next.getHost().equals(host)) {
        err().println("roamctl: " + vm + " now runs on " + next.getHost() + "; its log there:");
        host = next.getHost();
      } else if (next.getRestarted()) {
        err().println("roamctl: the log of " + vm + " was rotated; from the new file's start:");
      }
      write(next);
      c = next;
    }
    return Roamctl.OK;
  }

  private VmLogChunk read(long offset, int maxBytes, String fileId) {
    ReadVmLogRequest req = ReadVmLogRequest.newBuilder().setName(vm).setOffset(offset).setMaxBytes(maxBytes)
        .setFileId(fileId).build();
    return root().master(m -> m.readVmLog(req));
  }

  private void write(VmLogChunk c) throws java.io.IOException {
    if (!c.getData().isEmpty()) {
      c.getData().writeTo(out());
      out().flush();
    }
  }
}
