package io.roam.chaos;

import io.roam.chaos.Op.Outcome;
import io.roam.chaos.Op.Type;
import io.roam.common.kv.KvClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;

/**
 * Several kv clients per VM, each on its own thread, writing, incrementing and reading with
 * numbered requests (KvClient) and recording every request in the {@link History}. Each client owns
 * {@link #KEYS_PER_CLIENT} keys, which only it writes, with increasing numbers, and one counter,
 * which only it increments; it reads its own keys and those of the other clients of its VM. The
 * table stays small (a few keys overwritten), and a client pauses between requests, so the run
 * does not depend on how fast the machine is.
 *
 * <p>Thread-safe: {@link #pause} and {@link #resume} may be called from any thread.
 */
public final class Workload implements AutoCloseable {
  public static final int CLIENTS_PER_VM = 2;
  static final int KEYS_PER_CLIENT = 3;
  /** How long a client retries one request before it calls its outcome unknown. */
  static final Duration RETRY_FOR = Duration.ofSeconds(45);
  private static final long PAUSE_BETWEEN_REQUESTS_MS = 40;

  private final History history;
  private final List<Thread> threads = new ArrayList<>();
  private final Object lock = new Object();
  private boolean paused;
  private boolean stopped;
  private int busy; // clients inside a request

  public Workload(List<String> vms, Function<String, String> endpoints, History history, long seed) {
    this.history = history;
    int client = 0;
    for (String vm : vms) {
      List<Integer> peers = new ArrayList<>();
      for (int i = 0; i < CLIENTS_PER_VM; i++) {
        peers.add(client + i);
      }
      for (int id : peers) {
        Random random = new Random(seed * 31 + id);
        Thread t = new Thread(() -> run(id, vm, peers, endpoints, random), "chaos-client-" + id);
        t.setDaemon(true);
        threads.add(t);
      }
      client += CLIENTS_PER_VM;
    }
  }

  public static String key(int client, int i) {
    return "k" + client + "-" + i;
  }

  public static String counter(int client) {
    return "n" + client;
  }

  /** The registers and counters of the clients of VM number {@code vmIndex}. */
  public static List<String> keysOf(int vmIndex) {
    List<String> keys = new ArrayList<>();
    for (int c = vmIndex * CLIENTS_PER_VM; c < (vmIndex + 1) * CLIENTS_PER_VM; c++) {
      for (int i = 0; i < KEYS_PER_CLIENT; i++) {
        keys.add(key(c, i));
      }
      keys.add(counter(c));
    }
    return keys;
  }

  public void start() {
    threads.forEach(Thread::start);
  }

  private void run(int id, String vm, List<Integer> peers, Function<String, String> endpoints, Random random) {
    long[] next = new long[KEYS_PER_CLIENT];
    try (KvClient kv = new KvClient(() -> endpoints.apply(vm), RETRY_FOR)) {
      while (enter()) {
        try {
          int dice = random.nextInt(10);
          if (dice < 4) {
            int i = random.nextInt(KEYS_PER_CLIENT);
            long value = ++next[i];
            request(id, vm, Type.PUT, key(id, i), value, () -> {
              kv.put(key(id, i), Long.toString(value));
              return value;
            });
          } else if (dice < 7) {
            request(id, vm, Type.INCR, counter(id), 0, () -> kv.increment(counter(id)));
          } else {
            String k = key(peers.get(random.nextInt(peers.size())), random.nextInt(KEYS_PER_CLIENT));
            request(id, vm, Type.GET, k, 0, () -> read(kv, k));
          }
        } finally {
          leave();
        }
        Thread.sleep(PAUSE_BETWEEN_REQUESTS_MS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static long read(KvClient kv, String key) throws IOException {
    Optional<String> v = kv.get(key);
    return v.isEmpty() ? 0 : Long.parseLong(v.get());
  }

  interface Call {
    long run() throws IOException;
  }

  /** Runs one request and records it: OK with its value, FAIL on an error reply, else UNKNOWN. */
  void request(int client, String vm, Type type, String key, long value, Call call) {
    record(history, client, vm, type, key, value, call);
  }

  static void record(History history, int client, String vm, Type type, String key, long value, Call call) {
    long t0 = System.nanoTime();
    try {
      long v = call.run();
      history.add(new Op(client, vm, type, key, type == Type.PUT ? value : v, t0, System.nanoTime(), Outcome.OK, ""));
    } catch (KvClient.KvException e) {
      history.add(new Op(client, vm, type, key, value, t0, System.nanoTime(), Outcome.FAIL, e.getMessage()));
    } catch (IOException | RuntimeException e) {
      history.add(new Op(client, vm, type, key, value, t0, System.nanoTime(), Outcome.UNKNOWN, String.valueOf(e)));
    }
  }

  private boolean enter() throws InterruptedException {
    synchronized (lock) {
      while (paused && !stopped) {
        lock.wait();
      }
      if (stopped) {
        return false;
      }
      busy++;
      return true;
    }
  }

  private void leave() {
    synchronized (lock) {
      busy--;
      lock.notifyAll();
    }
  }

  /**
   * Stops clients from starting requests and waits until none is in one. A request ends within
   * RETRY_FOR (then its outcome is unknown), so this returns within about that.
   */
  public void pause() throws InterruptedException {
    synchronized (lock) {
      paused = true;
      while (busy > 0) {
        lock.wait();
      }
    }
  }

  public void resume() {
    synchronized (lock) {
      paused = false;
      lock.notifyAll();
    }
  }

  @Override
  public void close() throws InterruptedException {
    synchronized (lock) {
      stopped = true;
      lock.notifyAll();
    }
    for (Thread t : threads) {
      t.join(RETRY_FOR.toMillis() + 10_000);
    }
  }
}
