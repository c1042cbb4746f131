package io.roam.common.security;

import io.grpc.MethodDescriptor;
import io.roam.common.security.Authorization.Rule;
import io.roam.proto.AgentServiceGrpc;
import io.roam.proto.ClusterServiceGrpc;
import io.roam.proto.HeartbeatServiceGrpc;
import io.roam.proto.HostHeartbeat;
import io.roam.proto.HostRequest;
import java.util.HashMap;
import java.util.Map;

/**
 * The role each gRPC method needs, for every service Roam serves: the one table an operator reads to
 * know what a certificate allows.
 *
 * <pre>
 * ClusterService (roamctl -> master)
 *   viewer    every read: hosts, VMs, leader, migrations, events, rules, DRS status, and the
 *             watch of them (WatchEvents), tasks (ListTasks, GetTask); a dashboard login
 *             link (CreateDashboardLogin: the link carries the caller's own role, no more)
 *   operator  VM lifecycle (create, start, stop, power off, destroy), migrate and cancel,
 *             host maintenance and power (ChangeHost), applying DRS recommendations,
 *             cancelling a task (CancelTask: it exits the maintenance it follows),
 *             the cluster check (CheckCluster: it makes every agent write and remove a file on the
 *             datastore and the leader query every BMC, so it acts, if harmlessly; not a viewer's),
 *             a VM's log (ReadVmLog: its program's output may hold its data)
 *   admin     power drivers, DRS rules, DRS/DPM settings (also ChangeHost's dpm-* actions),
 *             a VM's restart priority and DRS automation (SetVmPolicy)
 * HeartbeatService (agent -> leader master)
 *   agent     and only for the host its certificate names
 * OwnershipService (agent -> any master)
 *   agent     FenceOwnerRecord, naming itself as the migration's destination
 * AgentService (master -> agent)
 *   master    every method but PrepareMigration
 *   agent     PrepareMigration only, naming itself as the source host (the source of a migration
 *             asks its destination to get ready)
 * grpc.health.v1.Health (served by masters and agents; container health checks)
 *   any role  every authenticated certificate of the cluster (it says only whether the process serves)
 * </pre>
 *
 * Immutable.
 */
public final class AccessTable {
  private AccessTable() {}

  /** The rules of ClusterService, HeartbeatService, OwnershipService and AgentService, by full method name. */
  public static Map<String, Rule> rules() {
    Map<String, Rule> m = new HashMap<>();
    put(m, Authorization.requires(Role.VIEWER), ClusterServiceGrpc.getListHostsMethod(),
        ClusterServiceGrpc.getListVmsMethod(), ClusterServiceGrpc.getDescribeVmMethod(),
        ClusterServiceGrpc.getGetLeaderMethod(), ClusterServiceGrpc.getListMigrationsMethod(),
        ClusterServiceGrpc.getGetMigrationMethod(), ClusterServiceGrpc.getListEventsMethod(),
        ClusterServiceGrpc.getListRulesMethod(), ClusterServiceGrpc.getGetDrsStatusMethod(),
        ClusterServiceGrpc.getCreateDashboardLoginMethod(), ClusterServiceGrpc.getWatchEventsMethod(),
        ClusterServiceGrpc.getListTasksMethod(), ClusterServiceGrpc.getGetTaskMethod());
    put(m, Authorization.requires(Role.OPERATOR), ClusterServiceGrpc.getCreateVmMethod(),
        ClusterServiceGrpc.getStartVmMethod(), ClusterServiceGrpc.getStopVmMethod(),
        ClusterServiceGrpc.getPowerOffVmMethod(), ClusterServiceGrpc.getDestroyVmMethod(),
        ClusterServiceGrpc.getMigrateVmMethod(), ClusterServiceGrpc.getCancelMigrationMethod(),
        ClusterServiceGrpc.getApplyRecommendationsMethod(), ClusterServiceGrpc.getCheckClusterMethod(),
        ClusterServiceGrpc.getCancelTaskMethod(),
        // A VM's log is its program's output, which may hold its data: an operator's, not a viewer's.
        ClusterServiceGrpc.getReadVmLogMethod());
    // Maintenance and power are an operator's; a host's DPM level is a DPM setting.
    put(m, Authorization.requiresPerRequest(Role.OPERATOR, HostRequest.class,
        r -> r.getAction().startsWith("dpm-") ? Role.ADMIN : Role.OPERATOR), ClusterServiceGrpc.getChangeHostMethod());
    put(m, Authorization.requires(Role.ADMIN), ClusterServiceGrpc.getSetPowerDriverMethod(),
        ClusterServiceGrpc.getAddRuleMethod(), ClusterServiceGrpc.getRemoveRuleMethod(),
        ClusterServiceGrpc.getSetDrsSettingsMethod(), ClusterServiceGrpc.getSetVmPolicyMethod());

    put(m, Authorization.agentOwnHost(HostHeartbeat.class, HostHeartbeat::getHost),
        HeartbeatServiceGrpc.getHeartbeatMethod());
    put(m, Authorization.agentOwnHost(io.roam.proto.FenceOwnerRecordRequest.class,
        io.roam.proto.FenceOwnerRecordRequest::getDestinationHost), io.roam.proto.OwnershipServiceGrpc.getFenceOwnerRecordMethod());

    // AgentService is the masters' alone, methods added later included.
    for (var method : AgentServiceGrpc.getServiceDescriptor().getMethods()) {
      m.put(method.getFullMethodName(), Authorization.requiresOneOf(Role.MASTER));
    }
    // PrepareMigration is how a migration's source asks its destination to get ready: only an agent,
    // and only for itself as the source, so the data plane's "accept only the source host's agent"
    // rests on a name the source proved, not one it typed.
    put(m, Authorization.agentOwnHost(io.roam.proto.PrepareMigrationRequest.class,
        io.roam.proto.PrepareMigrationRequest::getSourceHost), AgentServiceGrpc.getPrepareMigrationMethod());
    // Health says only "serving or not": any certificate of the cluster may ask (a container's health
    // check probes with that container's own certificate, whatever its role). Still TLS-authenticated.
    for (var method : io.grpc.health.v1.HealthGrpc.getServiceDescriptor().getMethods()) {
      m.put(method.getFullMethodName(), Authorization.requiresOneOf(Role.values()));
    }
    return m;
  }

  /** An interceptor enforcing {@link #rules()}. */
  public static Authorization authorization() {
    return new Authorization(rules());
  }

  private static void put(Map<String, Rule> m, Rule rule, MethodDescriptor<?, ?>... methods) {
    for (MethodDescriptor<?, ?> method : methods) {
      m.put(method.getFullMethodName(), rule);
    }
  }
}
