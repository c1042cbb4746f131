package io.roam.common.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.roam.common.security.Authorization.Rule;
import io.roam.proto.AgentServiceGrpc;
import io.roam.proto.ClusterServiceGrpc;
import io.roam.proto.HeartbeatServiceGrpc;
import io.roam.proto.HostHeartbeat;
import io.roam.proto.HostRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The access table: every method of every service has a rule, and the rules say what README says. */
class AccessTableTest {
  private final Map<String, Rule> rules = AccessTable.rules();

  @Test
  void everyMethodOfEveryServiceHasARule() {
    for (ServiceDescriptor service : List.of(ClusterServiceGrpc.getServiceDescriptor(),
        HeartbeatServiceGrpc.getServiceDescriptor(), io.roam.proto.OwnershipServiceGrpc.getServiceDescriptor(),
        AgentServiceGrpc.getServiceDescriptor(), io.grpc.health.v1.HealthGrpc.getServiceDescriptor())) {
      for (MethodDescriptor<?, ?> m : service.getMethods()) {
        assertThat(rules).as("rule for " + m.getFullMethodName()).containsKey(m.getFullMethodName());
      }
    }
    assertThat(new Authorization(rules).missingRules(new ClusterServiceGrpc.ClusterServiceImplBase() {}.bindService()))
        .isEmpty();
  }

  @Test
  void aTableWithoutAMethodRefusesToGuardItsService() {
    Map<String, Rule> partial = new java.util.HashMap<>(rules);
    partial.remove(ClusterServiceGrpc.getCreateVmMethod().getFullMethodName());
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new Authorization(partial).guard(new ClusterServiceGrpc.ClusterServiceImplBase() {}))
        .isInstanceOf(IllegalStateException.class).hasMessage("no access rule for roam.v1.ClusterService/CreateVm");
  }

  @Test
  void usersGetWhatTheirRoleAllows() {
    MethodDescriptor<?, ?> list = ClusterServiceGrpc.getListVmsMethod();
    MethodDescriptor<?, ?> create = ClusterServiceGrpc.getCreateVmMethod();
    MethodDescriptor<?, ?> drs = ClusterServiceGrpc.getSetDrsSettingsMethod();
    assertThat(allowed(list, Role.VIEWER)).isTrue();
    assertThat(allowed(create, Role.VIEWER)).isFalse();
    assertThat(allowed(create, Role.OPERATOR)).isTrue();
    assertThat(allowed(drs, Role.OPERATOR)).isFalse();
    assertThat(allowed(drs, Role.ADMIN)).isTrue();
    assertThat(allowed(ClusterServiceGrpc.getSetPowerDriverMethod(), Role.OPERATOR)).isFalse();
    assertThat(allowed(ClusterServiceGrpc.getAddRuleMethod(), Role.OPERATOR)).isFalse();
    assertThat(allowed(ClusterServiceGrpc.getMigrateVmMethod(), Role.OPERATOR)).isTrue();
    assertThat(allowed(list, Role.AGENT)).as("an agent is no user").isFalse();
    assertThat(rules.get(create.getFullMethodName()).refuseCaller(new PeerIdentity("vera", Role.VIEWER)))
        .contains("needs role operator or above");
  }

  @Test
  void aWatchIsARead() {
    MethodDescriptor<?, ?> watch = ClusterServiceGrpc.getWatchEventsMethod();
    assertThat(allowed(watch, Role.VIEWER)).isTrue();
    assertThat(allowed(watch, Role.AGENT)).as("an agent is no user").isFalse();
  }

  @Test
  void tasksAreReadByViewersAndCancelledByOperators() {
    assertThat(allowed(ClusterServiceGrpc.getListTasksMethod(), Role.VIEWER)).isTrue();
    assertThat(allowed(ClusterServiceGrpc.getGetTaskMethod(), Role.VIEWER)).isTrue();
    assertThat(allowed(ClusterServiceGrpc.getCancelTaskMethod(), Role.VIEWER)).isFalse();
    assertThat(allowed(ClusterServiceGrpc.getCancelTaskMethod(), Role.OPERATOR)).isTrue();
  }

  @Test
  void theClusterCheckActsOnAgentsAndBmcsSoItIsAnOperatorsNotAViewers() {
    MethodDescriptor<?, ?> check = ClusterServiceGrpc.getCheckClusterMethod();
    assertThat(allowed(check, Role.VIEWER)).isFalse();
    assertThat(allowed(check, Role.OPERATOR)).isTrue();
    assertThat(allowed(check, Role.ADMIN)).isTrue();
    assertThat(allowed(AgentServiceGrpc.getProbeDatastoreMethod(), Role.MASTER)).isTrue();
    assertThat(allowed(AgentServiceGrpc.getProbeDatastoreMethod(), Role.OPERATOR)).isFalse();
  }

  @Test
  void aVmsLogIsAnOperatorsAndOnlyAMasterReadsItFromAnAgent() {
    assertThat(allowed(ClusterServiceGrpc.getReadVmLogMethod(), Role.VIEWER)).isFalse();
    assertThat(allowed(ClusterServiceGrpc.getReadVmLogMethod(), Role.OPERATOR)).isTrue();
    assertThat(allowed(AgentServiceGrpc.getReadVmLogMethod(), Role.MASTER)).isTrue();
    assertThat(allowed(AgentServiceGrpc.getReadVmLogMethod(), Role.ADMIN)).isFalse();
  }

  @Test
  void aDashboardLoginIsAnyUsersButNotAnAgentsOrAZooKeepersMaking() {
    MethodDescriptor<?, ?> login = ClusterServiceGrpc.getCreateDashboardLoginMethod();
    assertThat(allowed(login, Role.VIEWER)).isTrue();
    assertThat(allowed(login, Role.OPERATOR)).isTrue();
    assertThat(allowed(login, Role.ADMIN)).isTrue();
    assertThat(allowed(login, Role.AGENT)).isFalse();
    assertThat(allowed(login, Role.ZOOKEEPER)).isFalse();
  }

  @Test
  void maintenanceIsAnOperatorsButAHostsDpmLevelIsAnAdmins() {
    Rule changeHost = rules.get(ClusterServiceGrpc.getChangeHostMethod().getFullMethodName());
    PeerIdentity operator = new PeerIdentity("otto", Role.OPERATOR);
    assertThat(changeHost.refuseCaller(operator)).isEmpty();
    assertThat(changeHost.refuseMessage(operator, HostRequest.newBuilder().setHost("h").setAction("enter-maintenance")
        .build())).isEmpty();
    assertThat(changeHost.refuseMessage(operator, HostRequest.newBuilder().setHost("h").setAction("dpm-off").build()))
        .contains("needs role admin");
    assertThat(changeHost.refuseMessage(new PeerIdentity("ada", Role.ADMIN),
        HostRequest.newBuilder().setHost("h").setAction("dpm-off").build())).isEmpty();
  }

  @Test
  void onlyMastersCommandAgentsAndAnAgentAsksAnotherOnlyToPrepareAMigration() {
    for (MethodDescriptor<?, ?> m : AgentServiceGrpc.getServiceDescriptor().getMethods()) {
      boolean prepare = m.getFullMethodName().equals(AgentServiceGrpc.getPrepareMigrationMethod().getFullMethodName());
      assertThat(allowed(m, Role.MASTER)).as(m.getFullMethodName()).isEqualTo(!prepare);
      assertThat(allowed(m, Role.ADMIN)).as(m.getFullMethodName()).isFalse();
      assertThat(allowed(m, Role.AGENT)).as(m.getFullMethodName()).isEqualTo(prepare);
    }
  }

  @Test
  void anAgentPreparesAMigrationOnlyAsItsOwnSource() {
    Rule prepare = rules.get(AgentServiceGrpc.getPrepareMigrationMethod().getFullMethodName());
    PeerIdentity host2 = new PeerIdentity("host2", Role.AGENT);
    assertThat(prepare.refuseMessage(host2, io.roam.proto.PrepareMigrationRequest.newBuilder().setSourceHost("host2")
        .build())).isEmpty();
    assertThat(prepare.refuseMessage(host2, io.roam.proto.PrepareMigrationRequest.newBuilder().setSourceHost("host1")
        .build())).isPresent();
  }

  @Test
  void anAgentSendsHeartbeatsForItsOwnHostOnly() {
    Rule hb = rules.get(HeartbeatServiceGrpc.getHeartbeatMethod().getFullMethodName());
    PeerIdentity host2 = new PeerIdentity("host2", Role.AGENT);
    assertThat(hb.refuseCaller(host2)).isEmpty();
    assertThat(hb.refuseCaller(new PeerIdentity("m1", Role.MASTER))).contains("needs role agent");
    assertThat(hb.refuseCaller(new PeerIdentity("ada", Role.ADMIN))).contains("needs role agent");
    assertThat(hb.judgesMessages()).isTrue();
    assertThat(hb.refuseMessage(host2, HostHeartbeat.newBuilder().setHost("host2").build())).isEmpty();
    assertThat(hb.refuseMessage(host2, HostHeartbeat.newBuilder().setHost("host1").build()))
        .isEqualTo(Optional.of("for host host1 needs the certificate of agent host1"));
  }

  @Test
  void anAgentAsksForAFenceOnlyAsItselfAndNobodyElseMayAsk() {
    Rule fence = rules.get(io.roam.proto.OwnershipServiceGrpc.getFenceOwnerRecordMethod().getFullMethodName());
    PeerIdentity host2 = new PeerIdentity("host2", Role.AGENT);
    assertThat(fence.refuseCaller(host2)).isEmpty();
    assertThat(fence.refuseCaller(new PeerIdentity("m1", Role.MASTER))).contains("needs role agent");
    assertThat(fence.refuseCaller(new PeerIdentity("ada", Role.ADMIN))).contains("needs role agent");
    var request = io.roam.proto.FenceOwnerRecordRequest.newBuilder().setVm("vm1").setVersion(3);
    assertThat(fence.refuseMessage(host2, request.setDestinationHost("host2").build())).isEmpty();
    assertThat(fence.refuseMessage(host2, request.setDestinationHost("host1").build())).isPresent();
  }

  @Test
  void aZooKeeperServersCertificateMayCallNothing() {
    for (ServiceDescriptor service : List.of(ClusterServiceGrpc.getServiceDescriptor(),
        HeartbeatServiceGrpc.getServiceDescriptor(), io.roam.proto.OwnershipServiceGrpc.getServiceDescriptor(),
        AgentServiceGrpc.getServiceDescriptor())) {
      for (MethodDescriptor<?, ?> m : service.getMethods()) {
        assertThat(allowed(m, Role.ZOOKEEPER)).as(m.getFullMethodName()).isFalse();
      }
    }
  }

  @Test
  void everyRoleMayAskWhetherAProcessServesButNothingElseOpensUp() {
    for (MethodDescriptor<?, ?> m : io.grpc.health.v1.HealthGrpc.getServiceDescriptor().getMethods()) {
      for (Role role : Role.values()) {
        assertThat(allowed(m, role)).as(m.getFullMethodName() + " for " + role).isTrue();
      }
    }
    assertThat(new Authorization(rules).missingRules(new io.grpc.protobuf.services.HealthStatusManager()
        .getHealthService().bindService())).isEmpty();
    assertThat(allowed(ClusterServiceGrpc.getListVmsMethod(), Role.AGENT)).isFalse();
  }

  private boolean allowed(MethodDescriptor<?, ?> m, Role role) {
    return rules.get(m.getFullMethodName()).refuseCaller(new PeerIdentity("x", role)).isEmpty();
  }
}
