"""A pipeline with several ECS services: each runs its own containers, and cfn-lint accepts the
environment stack (moved from tests/unit/cloudformation/test_environment.py: it runs cfn-lint)."""

from __future__ import annotations

from conftest import FIXTURES
from environment_helpers import loaded, of_type

STRATEGIES = FIXTURES / "profiles" / "environment-strategies.yaml"


def test_several_pipeline_services_each_run_their_own_containers(tmp_path):
    """A pipeline listing several services (pipeline.services: name + containers) gets one ECS
    service each, sharing the cluster, load balancer and roles."""
    import subprocess
    from types import SimpleNamespace

    from ciconf.cloudformation.environment import environment_stack
    from ciconf.profile.environment import Environment, problems
    from ciconf.yamlkit.emit import dump
    from oracles.test_cfn_lint import _tool

    _, _, plan = loaded(STRATEGIES)  # delivers the containers proxy and app
    services = [
        SimpleNamespace(name="shop-web", containers=["proxy"]),
        SimpleNamespace(name="shop-api", containers=["app"]),
    ]
    pipeline = SimpleNamespace(cluster="shop", service=None, services=services, strategy="rolling")
    environment = Environment.model_validate(
        {
            "services": {
                "shop-web": {"ports": {"proxy": 8080}, "load_balancer": {"container": "proxy"}},
                "shop-api": {
                    "ports": {"app": 9000},
                    "load_balancer": {"container": "app", "paths": ["/api/*"]},
                    "deployment": {"strategy": "blue-green"},
                },
            }
        }
    )
    account = SimpleNamespace(
        name="multi", deploy_tag="multi", pipeline=pipeline, environment=environment
    )
    assert problems(account, ["proxy", "app"]) == []
    wrong = SimpleNamespace(
        **{
            **vars(account),
            "environment": Environment.model_validate(
                {"services": {"shop-web": {"ports": {"app": 9000}}}}
            ),
        }
    )
    (problem,) = problems(wrong, ["proxy", "app"])
    assert (
        problem.path == ("environment", "services", "shop-web", "ports", "app")
        and problem.expected == "proxy"
    )

    template = environment_stack(plan, account, environment)
    resources = template["Resources"]
    tasks = {
        r["Properties"]["Family"]: [c["Name"] for c in r["Properties"]["ContainerDefinitions"]]
        for r in of_type(template, "AWS::ECS::TaskDefinition").values()
    }
    assert tasks == {"shop-web": ["proxy"], "shop-api": ["app"]}
    assert sorted(
        r["Properties"]["ServiceName"] for r in of_type(template, "AWS::ECS::Service").values()
    ) == ["shop-api", "shop-web"]
    assert resources["ShopApiListenerRule"]["Properties"]["Priority"] == 2
    assert (
        resources["ShopWebListenerRule"]["Properties"]["Priority"] == 50000
    )  # the catch-all goes last
    pulls = resources["TaskExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ][1]["Resource"]
    assert [p.value.rsplit("/", 2)[-2:] for p in pulls] == [["shop", "proxy"], ["shop", "app"]]
    stack = tmp_path / "multi.yaml"
    stack.write_text(dump(template, spacing=(0, 1)))
    done = subprocess.run(
        [_tool("cfn-lint"), "--format", "parseable", str(stack)], capture_output=True, text=True
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
