import type { FastifyRequest } from "fastify";
import type { RequestContext } from "../acts/service.js";
import { hasPermission } from "../identity/permissions.js";
import { HttpProblem } from "../problem.js";

/** The acting user and request, as the services record them in the audit trail. */
export function requestContext(request: FastifyRequest): RequestContext {
  const user = request.user;
  if (!user) throw new HttpProblem(401, "Non authentifié", "A bearer token is required.");
  return {
    actor: { id: user.id, roles: [...user.roles] },
    requestId: request.id,
    seesAllActs: hasPermission(user.roles, "act:read:site"),
    readsClinicalText: hasPermission(user.roles, "act:read:clinical_text"),
  };
}
