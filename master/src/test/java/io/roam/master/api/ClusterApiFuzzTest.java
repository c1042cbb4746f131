package io.roam.master.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.roam.master.inventory.ZkFixture;
import io.roam.master.power.PowerDriverCatalog;
import io.roam.proto.ClusterServiceGrpc;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Every ClusterService method, fed arbitrary request messages (every field of the message and of
 * the messages inside it filled from hostile values: empty, path-like, huge and odd strings, edge
 * numbers, unknown enum numbers), on a real leader over a real ZooKeeper: each call answers with a
 * value or with a status that says what was wrong, never UNKNOWN or INTERNAL (an exception that
 * escaped), and in one line. The requests are made from a seed, so a failure names the seed that
 * rebuilds it.
 */
class ClusterApiFuzzTest {
  private static Path dir;
  private static ZkFixture f;
  private static LeaderApi leader;
  private static ClusterGrpcService api;

  private static final List<String> STRINGS = List.of("", "h1", "vm1", "kv", "idle", "../x", "a/../../x", "..",
      "x\u0000y", "\n", "é漢字", "-1", "9".repeat(40), "a".repeat(5000), "host1,host2", "*", "%s%n", "1GiB");

  @BeforeContainer
  static void start() throws Exception {
    dir = Files.createTempDirectory("roam-api-fuzz");
    f = new ZkFixture(dir);
    f.host("h1", 4, 1L << 30, null, true);
    f.vm("vm1", "h1", 64L << 20, false);
    Path drivers = dir.resolve("power-drivers.yaml");
    Files.writeString(drivers, "h1-agent: {driver: wol, mac: '02:00:00:00:00:01'}\n");
    leader = new LeaderApi(f, dir, new PowerDriverCatalog(drivers));
    api = leader.api;
  }

  @AfterContainer
  static void stop() throws Exception {
    leader.close();
    f.close();
  }

  @Provide
  Arbitrary<MethodDescriptor<?, ?>> methods() {
    return Arbitraries.of(List.copyOf(ClusterServiceGrpc.getServiceDescriptor().getMethods()));
  }

  @Property(tries = 400)
  void everyRequestGetsAnAnswerOrAClearRefusal(@ForAll("methods") MethodDescriptor<?, ?> method,
      @ForAll long seed) throws Exception {
    Message prototype = (Message) ((MethodDescriptor.PrototypeMarshaller<?>) method.getRequestMarshaller())
        .getMessagePrototype();
    Message request = fill(prototype.newBuilderForType(), new Random(seed), 0).build();
    String name = method.getBareMethodName();
    Method java = ClusterGrpcService.class.getMethod(Character.toLowerCase(name.charAt(0)) + name.substring(1),
        prototype.getClass(), StreamObserver.class);
    CompletableFuture<Object> answer = new CompletableFuture<>();
    try {
      java.invoke(api, request, new StreamObserver<Object>() {
        @Override
        public void onNext(Object value) {
          answer.complete(value);
        }

        @Override
        public void onError(Throwable t) {
          answer.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
          answer.complete(null);
        }
      });
    } catch (InvocationTargetException e) {
      throw new AssertionError(name + " threw (UNKNOWN to the caller) for seed " + seed + ": " + request, e.getCause());
    }
    try {
      answer.get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      Status status = Status.fromThrowable(e.getCause());
      assertThat(e.getCause()).as("%s seed %d", name, seed).isInstanceOf(StatusRuntimeException.class);
      assertThat(status.getCode()).as("%s seed %d: %s", name, seed, status.getDescription())
          .isNotIn(Status.Code.UNKNOWN, Status.Code.INTERNAL);
      assertThat(String.valueOf(status.getDescription())).as("%s seed %d", name, seed).doesNotContain("\n\tat ");
    }
  }

  /** Fills every field of {@code b} (messages inside it up to depth 2) from hostile values. */
  private static Message.Builder fill(Message.Builder b, Random r, int depth) {
    for (FieldDescriptor field : b.getDescriptorForType().getFields()) {
      if (r.nextInt(4) == 0) {
        continue; // left unset
      }
      int count = field.isRepeated() ? r.nextInt(4) : 1;
      for (int i = 0; i < count; i++) {
        Object v = value(b, field, r, depth);
        if (v == null) {
          continue;
        }
        if (field.isRepeated()) {
          b.addRepeatedField(field, v);
        } else {
          b.setField(field, v);
        }
      }
    }
    return b;
  }

  private static Object value(Message.Builder b, FieldDescriptor field, Random r, int depth) {
    return switch (field.getJavaType()) {
      case STRING -> STRINGS.get(r.nextInt(STRINGS.size()));
      case INT -> List.of(0, -1, 1, 3, Integer.MAX_VALUE, Integer.MIN_VALUE, r.nextInt()).get(r.nextInt(7));
      case LONG -> List.of(0L, -1L, 1L, 4096L, 1L << 30, Long.MAX_VALUE, Long.MIN_VALUE, r.nextLong()).get(r.nextInt(8));
      case DOUBLE -> List.of(0.0, -1.0, 0.5, Double.NaN, Double.POSITIVE_INFINITY, 1e300).get(r.nextInt(6));
      case FLOAT -> List.of(0f, -1f, Float.NaN, Float.MAX_VALUE).get(r.nextInt(4));
      case BOOLEAN -> r.nextBoolean();
      case BYTE_STRING -> com.google.protobuf.ByteString.copyFrom(new byte[r.nextInt(64)]);
      case ENUM -> {
        EnumDescriptor e = field.getEnumType();
        yield r.nextInt(5) == 0 ? e.findValueByNumberCreatingIfUnknown(1000 + r.nextInt(1000))
            : e.getValues().get(r.nextInt(e.getValues().size()));
      }
      case MESSAGE -> depth >= 2 ? null
          : fill(field.isRepeated() ? b.newBuilderForField(field) : b.newBuilderForField(field), r, depth + 1).build();
    };
  }
}
