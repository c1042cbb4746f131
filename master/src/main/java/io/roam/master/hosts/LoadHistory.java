package io.roam.master.hosts;

import io.roam.proto.HostHeartbeat;
import io.roam.proto.VmLoad;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The leader's short memory of what the heartbeats said: when each host was last heard, and each
 * VM's CPU demand and dirty rate over the last {@code keepMs}. CPU demand over a window is the CPU
 * time the VM used in it plus the time its threads waited for a CPU, divided by the window's
 * length, in cores: what the VM asked for, so that a VM on a crowded host (or a machine busy with
 * other work) shows its demand and not only the share it was given (DESIGN.md "Demand"). It also
 * holds each host's latest report of its VMs' states, which VM monitoring reads ({@link
 * #reports()}). Thread-safe.
 */
public final class LoadHistory {
  /** @param demandNanos CPU time used plus time waited for a CPU, since the VM's process started */
  private record CpuSample(long timeMs, long demandNanos) {}

  private final long keepMs;
  private final Map<String, Long> lastHeard = new HashMap<>();
  private final Map<String, Deque<CpuSample>> cpu = new HashMap<>();
  private final Map<String, Double> dirtyRate = new HashMap<>();
  private final Map<String, String> vmHost = new HashMap<>();
  private final HeartbeatReports reports = new HeartbeatReports();

  public LoadHistory(long keepMs) {
    this.keepMs = keepMs;
  }

  /** Records a heartbeat received at {@code nowMs} (the leader's clock, not the agent's). */
  public synchronized void record(HostHeartbeat hb, long nowMs) {
    lastHeard.put(hb.getHost(), nowMs);
    for (VmLoad v : hb.getVmsList()) {
      Deque<CpuSample> samples = cpu.computeIfAbsent(v.getName(), k -> new ArrayDeque<>());
      String previousHost = vmHost.put(v.getName(), hb.getHost());
      if (previousHost != null && !previousHost.equals(hb.getHost())) {
        samples.clear(); // a new process on another host: its CPU time starts again
      }
      long demandNanos = v.getCpuNanos() + v.getCpuWaitNanos();
      if (!samples.isEmpty() && samples.peekLast().demandNanos() > demandNanos) {
        samples.clear(); // restarted in place
      }
      samples.addLast(new CpuSample(nowMs, demandNanos));
      while (nowMs - samples.peekFirst().timeMs() > keepMs) {
        samples.pollFirst();
      }
      dirtyRate.put(v.getName(), v.getDirtyPagesPerSecond());
    }
  }

  /** The VM states of each host's latest heartbeat (its own lock; stamped with monotonic time). */
  public HeartbeatReports reports() {
    return reports;
  }

  public synchronized Optional<Long> lastHeardMs(String host) {
    return Optional.ofNullable(lastHeard.get(host));
  }

  /** Cores the VM asked for over the last {@code windowMs} (or as much of it as is known); 0 if unknown. */
  public synchronized double cpuDemand(String vm, long nowMs, long windowMs) {
    Deque<CpuSample> samples = cpu.get(vm);
    if (samples == null || samples.size() < 2) {
      return 0;
    }
    CpuSample last = samples.peekLast();
    CpuSample first = null;
    for (CpuSample s : samples) {
      if (nowMs - s.timeMs() <= windowMs) {
        first = s;
        break;
      }
    }
    if (first == null || first == last) {
      return 0;
    }
    return (last.demandNanos() - first.demandNanos()) / 1e6 / (last.timeMs() - first.timeMs());
  }

  /** Bytes per second the VM dirties (its active memory, as migration sees it); 0 if unknown. */
  public synchronized long activeMemoryBytes(String vm) {
    return (long) (dirtyRate.getOrDefault(vm, 0.0) * 4096);
  }

  public synchronized void forgetVm(String vm) {
    cpu.remove(vm);
    dirtyRate.remove(vm);
    vmHost.remove(vm);
  }

  /** Sum of the CPU demand of every VM with recent samples. */
  public synchronized double totalDemand(long nowMs, long windowMs) {
    double sum = 0;
    for (String vm : cpu.keySet()) {
      sum += cpuDemand(vm, nowMs, windowMs);
    }
    return sum;
  }
}
