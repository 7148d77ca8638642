"""Which ECS service each deploy action updates: the blue/green one, and those updated in place."""

from __future__ import annotations

from ciconf.profile.derive import DeliveryPlan, ServicePlan, service_plans
from ciconf.profile.models import Pipeline


def all_services(delivery: DeliveryPlan, pipeline: Pipeline) -> tuple[ServicePlan, ...]:
    return service_plans(delivery, pipeline)


def traffic_service(delivery: DeliveryPlan, pipeline: Pipeline) -> ServicePlan | None:
    """The service CodeDeploy shifts traffic for: the one running the blue/green container."""
    if pipeline.blue_green is None:
        return None
    container = pipeline.blue_green.container
    return next(
        s
        for s in all_services(delivery, pipeline)
        if any(i.container == container for i in s.images)
    )


def rolling_services(delivery: DeliveryPlan, pipeline: Pipeline) -> tuple[ServicePlan, ...]:
    """Services the ECS deploy action updates in place (all but the blue/green one)."""
    traffic = traffic_service(delivery, pipeline)
    return tuple(s for s in all_services(delivery, pipeline) if s != traffic)
