package io.roam.master.api;

import io.roam.master.events.EventLog;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.RuleRecord;
import io.roam.proto.DrsRule;
import io.roam.proto.ListRulesResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * `roamctl rule add|ls|rm`: DRS rules kept in ZooKeeper, checked before they are stored. add and
 * remove are given the store bound to the leader's term, so a master whose term ended changes no
 * rule (NotLeaderException).
 */
final class RuleAdmin {
  private RuleAdmin() {}

  static ListRulesResponse list(ClusterStore store) throws Exception {
    ListRulesResponse.Builder b = ListRulesResponse.newBuilder();
    for (RuleRecord r : store.rules()) {
      b.addRules(DrsRule.newBuilder().setName(r.name()).setType(r.type()).addAllVms(r.vms()).addAllHosts(r.hosts())
          .setMust(r.must()));
    }
    return b.build();
  }

  static ListRulesResponse add(ClusterStore termStore, EventLog events, DrsRule req) throws Exception {
    RuleRecord rule = new RuleRecord(req.getName(), req.getType(), req.getVmsList(), req.getHostsList(), req.getMust()
        || !req.getType().startsWith("vm-"));
    String problem = rule.check();
    if (problem != null) {
      throw MasterException.invalid(problem);
    }
    List<RuleRecord> rules = new ArrayList<>(termStore.rules());
    if (rules.stream().anyMatch(r -> r.name().equals(rule.name()))) {
      throw new MasterException(io.grpc.Status.Code.ALREADY_EXISTS, "a rule named " + rule.name() + " already exists");
    }
    rules.add(rule);
    termStore.setRules(rules);
    events.append("rule.added", null, null, rule.name() + ": " + rule.type() + " " + rule.vms()
        + (rule.hosts().isEmpty() ? "" : " hosts " + rule.hosts()) + (rule.type().startsWith("vm-")
            ? (rule.must() ? " (must)" : " (should)") : ""));
    return list(termStore);
  }

  static ListRulesResponse remove(ClusterStore termStore, EventLog events, String name) throws Exception {
    List<RuleRecord> rules = new ArrayList<>(termStore.rules());
    if (!rules.removeIf(r -> r.name().equals(name))) {
      throw MasterException.notFound("no rule named " + name);
    }
    termStore.setRules(rules);
    events.append("rule.removed", null, null, name);
    return list(termStore);
  }
}
