package io.roam.master.ha;

import io.roam.common.model.HostRecord;
import io.roam.common.model.OwnerRecord;
import io.roam.common.model.VmPolicy;
import io.roam.common.model.VmRecord;
import io.roam.common.model.VmSpec;
import io.roam.master.drs.model.ClusterSnapshot;
import io.roam.master.drs.model.HostMode;
import io.roam.master.drs.model.HostView;
import io.roam.master.drs.model.VmView;
import io.roam.master.hosts.HeartbeatReports;
import io.roam.master.hosts.HostState;
import io.roam.master.hosts.HostStatus;
import io.roam.master.inventory.ClusterStore.Versioned;
import io.roam.master.inventory.HostControl;
import io.roam.proto.HostHeartbeat;
import io.roam.proto.VmLoad;
import io.roam.proto.VmState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small cluster for HA planner tests, built step by step: hosts with their verdicts, VMs with
 * their owner records, and heartbeats as they arrive (times are monotonic ms with an arbitrary
 * origin). Not thread-safe.
 */
final class HaFixture {
  static final long GIB = 1L << 30;

  final Map<String, HostStatus> hosts = new LinkedHashMap<>();
  final Map<String, Long> hostMemory = new HashMap<>();
  final Map<String, VmRecord> vms = new HashMap<>();
  final Map<String, Versioned<OwnerRecord>> owners = new HashMap<>();
  final Map<String, Long> ownerSeen = new HashMap<>();
  final HeartbeatReports reports = new HeartbeatReports();
  final Map<String, FenceState> fences = new HashMap<>();
  final Map<String, List<Long>> restarts = new HashMap<>();
  final Map<String, Long> lastActed = new HashMap<>();
  final Set<String> busy = new HashSet<>();
  /** Hosts whose agents can manage VM addresses (agent.vm-interface, CAP_NET_ADMIN). */
  final Set<String> addressHosts = new HashSet<>();
  private long seq;

  /** A connected host with 64 GiB. */
  HaFixture host(String name) {
    return host(name, 64 * GIB);
  }

  HaFixture host(String name, long memory) {
    hosts.put(name, new HostStatus(record(name), HostControl.CONNECTED, HostState.CONNECTED, true, -1, ""));
    hostMemory.put(name, memory);
    return this;
  }

  /** A host whose ZooKeeper session has been gone since {@code downSinceMs}. */
  HaFixture down(String name, long downSinceMs) {
    hosts.put(name, new HostStatus(record(name), HostControl.CONNECTED, HostState.NOT_RESPONDING, false, downSinceMs,
        "session gone"));
    hostMemory.putIfAbsent(name, 64 * GIB);
    return this;
  }

  /** A host whose session lives but whose heartbeat stream went silent. */
  HaFixture silent(String name) {
    hosts.put(name, new HostStatus(record(name), HostControl.CONNECTED, HostState.NOT_RESPONDING, true, -1,
        "heartbeat stream silent"));
    hostMemory.putIfAbsent(name, 64 * GIB);
    return this;
  }

  /** A VM that should run, of 1 GiB, owned by {@code host} at epoch 1, version 0, read since time 0. */
  HaFixture vm(String name, String host) {
    return vm(name, host, 1, 0, 0);
  }

  HaFixture vm(String name, String host, long epoch, int version, long seenSinceMs) {
    vms.put(name, new VmRecord(new VmSpec(name, "cpu", GIB, Map.of(), ""), VmRecord.DesiredState.RUNNING));
    return owner(name, host, epoch, version, seenSinceMs);
  }

  /** The owner record as it is now, first read by this leader at {@code seenSinceMs}. */
  HaFixture owner(String vm, String host, long epoch, int version, long seenSinceMs) {
    owners.put(vm, new Versioned<>(new OwnerRecord(host, epoch), version));
    ownerSeen.put(vm, seenSinceMs);
    return this;
  }

  /** The VM's owner record carries the FT tag of a hot secondary on {@code secondary}. */
  HaFixture protectedBy(String vm, String secondary) {
    Versioned<OwnerRecord> o = owners.get(vm);
    owners.put(vm, new Versioned<>(new OwnerRecord(o.value().host(), o.value().epoch(),
        OwnerRecord.ftTag(secondary, "d1")), o.version()));
    return this;
  }

  /** Gives the VM an address of its own. */
  HaFixture address(String vm, String address) {
    VmRecord r = vms.get(vm);
    vms.put(vm, new VmRecord(r.spec().withAddress(address), r.desiredState(), r.policy()));
    return this;
  }

  /** The host's agent can manage VM addresses. */
  HaFixture managesAddresses(String host) {
    addressHosts.add(host);
    return this;
  }

  HaFixture priority(String vm, String priority) {
    VmRecord r = vms.get(vm);
    vms.put(vm, new VmRecord(r.spec(), r.desiredState(), new VmPolicy(priority, "")));
    return this;
  }

  HaFixture stopped(String vm) {
    vms.put(vm, vms.get(vm).withDesiredState(VmRecord.DesiredState.STOPPED));
    return this;
  }

  /** A heartbeat from {@code host} that arrived at {@code arrivedMs}, showing exactly these VMs. */
  HaFixture heartbeat(String host, long arrivedMs, VmLoad... loads) {
    reports.record(HostHeartbeat.newBuilder().setHost(host).setSeq(++seq).addAllVms(List.of(loads)).build(), arrivedMs);
    return this;
  }

  static VmLoad vmIn(String name, VmState state) {
    return VmLoad.newBuilder().setName(name).setState(state).setHeartbeat(1).build();
  }

  static VmLoad running(String name, long counter) {
    return VmLoad.newBuilder().setName(name).setState(VmState.VM_STATE_RUNNING).setHeartbeat(counter).build();
  }

  HaSnapshot snapshot() {
    List<HostView> hostViews = new ArrayList<>();
    hosts.forEach((name, h) -> hostViews.add(new HostView(name, 8, hostMemory.get(name),
        h.live() ? HostMode.CONNECTED : HostMode.DISCONNECTED, addressHosts.contains(name))));
    List<VmView> vmViews = new ArrayList<>();
    vms.forEach((name, r) -> {
      if (r.desiredState() == VmRecord.DesiredState.RUNNING) {
        vmViews.add(new VmView(name, owners.get(name).value().host(), 0.5, r.spec().memoryBytes(), 0, -1,
            r.spec().hasAddress()));
      }
    });
    return new HaSnapshot(vms, owners, ownerSeen, reports.latest(), fences, restarts, lastActed, busy,
        ClusterSnapshot.of(0, hostViews, vmViews));
  }

  private static HostRecord record(String name) {
    return new HostRecord(name, "127.0.0.1", 1, 8, 64 * GIB, "");
  }
}
