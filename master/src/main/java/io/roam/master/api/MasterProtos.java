package io.roam.master.api;

import io.roam.common.model.HostRecord;
import io.roam.proto.HostInfo;

/** The one place where ClusterService messages become domain types and back. */
public final class MasterProtos {
  private MasterProtos() {}

  public static HostInfo toProto(HostRecord h, boolean live, long used, int vmCount) {
    return HostInfo.newBuilder().setName(h.name()).setAddress(h.address()).setPort(h.port()).setCores(h.cores())
        .setMemoryBytes(h.memoryBytes()).setMemoryUsedBytes(used).setVmCount(vmCount)
        .setState(live ? "connected" : "disconnected").setDatastore(h.datastore()).build();
  }
}
