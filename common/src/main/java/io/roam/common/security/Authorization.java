package io.roam.common.security;

import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Who may call what: a gRPC server interceptor that reads the caller's {@link PeerIdentity} from the
 * call's TLS session and checks it against one {@link Rule} per method, before the service sees
 * anything. A refused call ends with PERMISSION_DENIED (UNAUTHENTICATED when the caller proved no
 * identity) and one line naming what it needed; the service is never invoked, so nothing changes.
 *
 * <p>Fails closed: a method without a rule is refused, and {@link #guard} refuses to serve a service
 * whose methods are not all in the table.
 *
 * <p>The identity of an accepted call is in {@link #PEER} for the service to read (e.g. to know which
 * agent is calling). Thread-safe: the table is immutable; the per-call state of a rule that judges
 * each message lives in a listener that gRPC calls one callback at a time.
 */
public final class Authorization implements ServerInterceptor {
  /** The verified caller of the current call. */
  public static final Context.Key<PeerIdentity> PEER = Context.key("roam-peer-identity");

  /** Who may call one method. */
  public interface Rule {
    /** Why {@code peer} may not start the call ("needs role operator or above"), or empty. */
    Optional<String> refuseCaller(PeerIdentity peer);

    /** Why {@code peer} may not send this request message, or empty; judged on every message. */
    default Optional<String> refuseMessage(PeerIdentity peer, Object message) {
      return Optional.empty();
    }

    /** Whether {@link #refuseMessage} needs to see the messages. */
    default boolean judgesMessages() {
      return false;
    }
  }

  /** A user role or above (admin ⊇ operator ⊇ viewer; a master may too), as {@link Role#allows} says. */
  public static Rule requires(Role role) {
    String need = "needs role " + role.label() + (role == Role.VIEWER || role == Role.OPERATOR ? " or above" : "");
    return peer -> peer.role().allows(role) ? Optional.empty() : Optional.of(need);
  }

  /** Exactly one of {@code roles} (daemon roles: masters, agents). */
  public static Rule requiresOneOf(Role... roles) {
    List<Role> allowed = List.of(roles);
    String need = "needs role " + allowed.stream().map(Role::label).collect(Collectors.joining(" or "));
    return peer -> allowed.contains(peer.role()) ? Optional.empty() : Optional.of(need);
  }

  /**
   * A role that depends on the request (e.g. one method with actions of different weight): the
   * caller must hold at least {@code least} to start, and what {@code roleOf} says for each message.
   */
  public static <M> Rule requiresPerRequest(Role least, Class<M> type, Function<M, Role> roleOf) {
    Rule base = requires(least);
    return new Rule() {
      @Override
      public Optional<String> refuseCaller(PeerIdentity peer) {
        return base.refuseCaller(peer);
      }

      @Override
      public Optional<String> refuseMessage(PeerIdentity peer, Object message) {
        return requires(roleOf.apply(type.cast(message))).refuseCaller(peer);
      }

      @Override
      public boolean judgesMessages() {
        return true;
      }
    };
  }

  /**
   * Only the agent a message speaks for: role agent, and the certificate's name equal to the host
   * that {@code hostOf} reads from each message (one agent cannot report for another).
   */
  public static <M> Rule agentOwnHost(Class<M> type, Function<M, String> hostOf) {
    Rule base = requiresOneOf(Role.AGENT);
    return new Rule() {
      @Override
      public Optional<String> refuseCaller(PeerIdentity peer) {
        return base.refuseCaller(peer);
      }

      @Override
      public Optional<String> refuseMessage(PeerIdentity peer, Object message) {
        String host = hostOf.apply(type.cast(message));
        return peer.name().equals(host) ? Optional.empty()
            : Optional.of("for host " + host + " needs the certificate of agent " + host);
      }

      @Override
      public boolean judgesMessages() {
        return true;
      }
    };
  }

  private final Map<String, Rule> rules;

  /** @param rules by full method name ({@code roam.v1.ClusterService/CreateVm}) */
  public Authorization(Map<String, Rule> rules) {
    this.rules = Map.copyOf(rules);
  }

  /** The service with every call checked; refuses a service with a method the table does not cover. */
  public ServerServiceDefinition guard(BindableService service) {
    ServerServiceDefinition definition = service.bindService();
    List<String> missing = missingRules(definition);
    if (!missing.isEmpty()) {
      throw new IllegalStateException("no access rule for " + String.join(", ", missing));
    }
    return ServerInterceptors.intercept(definition, this);
  }

  /** Methods of {@code definition} without a rule (empty when the table covers the service). */
  public List<String> missingRules(ServerServiceDefinition definition) {
    return definition.getMethods().stream().map(ServerMethodDefinition::getMethodDescriptor)
        .map(MethodDescriptor::getFullMethodName).filter(m -> !rules.containsKey(m)).sorted().toList();
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    String method = call.getMethodDescriptor().getBareMethodName();
    Rule rule = rules.get(call.getMethodDescriptor().getFullMethodName());
    if (rule == null) {
      return refuse(call, Status.PERMISSION_DENIED, method + " is not open to any caller");
    }
    Optional<PeerIdentity> peer = PeerIdentity.of(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (peer.isEmpty()) {
      return refuse(call, Status.UNAUTHENTICATED, method + " needs a client certificate issued by the cluster's CA");
    }
    Optional<String> refusal = rule.refuseCaller(peer.get());
    if (refusal.isPresent()) {
      return refuse(call, Status.PERMISSION_DENIED, denial(method, refusal.get(), peer.get()));
    }
    ServerCall.Listener<ReqT> listener = Contexts.interceptCall(Context.current().withValue(PEER, peer.get()), call,
        headers, next);
    return rule.judgesMessages() ? new MessageCheck<>(listener, call, rule, peer.get(), method) : listener;
  }

  private static String denial(String method, String why, PeerIdentity peer) {
    return method + " " + why + "; the caller is " + peer;
  }

  private static <ReqT> ServerCall.Listener<ReqT> refuse(ServerCall<ReqT, ?> call, Status status, String why) {
    call.close(status.withDescription(why), new Metadata());
    return new ServerCall.Listener<>() {};
  }

  /**
   * Judges each request message before the service sees it. On the first refused one the service's
   * listener is told the call was cancelled (so a streaming service forgets it), the call is closed
   * with PERMISSION_DENIED, and every later callback is dropped.
   */
  private static final class MessageCheck<ReqT> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT> {
    private final ServerCall<ReqT, ?> call;
    private final Rule rule;
    private final PeerIdentity peer;
    private final String method;
    private boolean refused; // gRPC calls a listener one callback at a time

    MessageCheck(ServerCall.Listener<ReqT> delegate, ServerCall<ReqT, ?> call, Rule rule, PeerIdentity peer,
        String method) {
      super(delegate);
      this.call = call;
      this.rule = rule;
      this.peer = peer;
      this.method = method;
    }

    @Override
    public void onMessage(ReqT message) {
      if (refused) {
        return;
      }
      Optional<String> refusal = rule.refuseMessage(peer, message);
      if (refusal.isPresent()) {
        refused = true;
        delegate().onCancel();
        call.close(Status.PERMISSION_DENIED.withDescription(denial(method, refusal.get(), peer)), new Metadata());
        return;
      }
      super.onMessage(message);
    }

    @Override
    public void onHalfClose() {
      if (!refused) {
        super.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      if (!refused) {
        super.onCancel();
      }
    }

    @Override
    public void onComplete() {
      if (!refused) {
        super.onComplete();
      }
    }

    @Override
    public void onReady() {
      if (!refused) {
        super.onReady();
      }
    }
  }
}
