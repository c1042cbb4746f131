package io.roam.master.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.roam.common.Json;
import io.roam.common.ZkPaths;
import io.roam.common.model.HostRecord;
import io.roam.master.inventory.ZkFixture;
import io.roam.proto.ListVmsRequest;
import io.roam.proto.ListVmsResponse;
import io.roam.proto.VmInfo;
import io.roam.proto.VmName;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading a VM whose host's session is gone (the host died or froze) asks nothing of that host:
 * `vm show` and `vm ls` say the host is not connected at once. A describe used to wait out the
 * agent deadline on the VM's own queue, and a monitor polling `vm show` of a VM whose host had just
 * died queued such waits in front of HA's failover of it (the compose test saw the failover start
 * 6 s after HA decided it). The host here is a socket that accepts and never answers, as a frozen
 * agent; the evidence is that it was never connected to.
 */
class DeadHostReadsTest {
  private static final long GIB = 1L << 30;
  @TempDir Path dir;

  @Test
  void showAndListOfAVmWhoseHostIsGoneAnswerWithoutCallingThatHost() throws Exception {
    List<Socket> accepted = new CopyOnWriteArrayList<>();
    try (ZkFixture f = new ZkFixture(dir.resolve("zk"));
        ServerSocket frozen = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        LeaderApi leader = new LeaderApi(f, dir, null)) {
      Thread acceptor = new Thread(() -> {
        while (!frozen.isClosed()) {
          try {
            accepted.add(frozen.accept()); // and never a byte back
          } catch (java.io.IOException closed) {
            return;
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      f.zk.create().creatingParentsIfNeeded().forPath(ZkPaths.host("gone"),
          Json.write(new HostRecord("gone", "127.0.0.1", frozen.getLocalPort(), 2, 4 * GIB, "")));
      f.vm("v", "gone", GIB, true); // its owner; no live node: the host's session is gone

      VmInfo shown = RpcOutcome.value(o -> leader.api.describeVm(VmName.newBuilder().setName("v").build(), o));
      ListVmsResponse listed = RpcOutcome.value(o -> leader.api.listVms(ListVmsRequest.getDefaultInstance(), o));

      assertThat(shown.getHost()).isEqualTo("gone");
      assertThat(shown.getStatusError()).isEqualTo("host gone is not connected");
      assertThat(listed.getVmsList()).singleElement()
          .satisfies(v -> assertThat(v.getStatusError()).isEqualTo("host gone unreachable: host gone is not connected"));
      assertThat(accepted).as("connections made to the gone host").isEmpty();
    } finally {
      for (Socket s : accepted) {
        s.close();
      }
    }
  }
}
