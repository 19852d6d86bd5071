import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { PASSWORD_MAX_LENGTH } from "../identity/passwords.js";
import { ROLES } from "../identity/permissions.js";
import { UserViewSchema } from "../identity/schemas.js";
import type { IdentityService } from "../identity/service.js";
import { ProblemSchema } from "../problem.js";

const Roles = z.array(z.enum(ROLES)).min(1);
const Site = z.string().trim().min(1).max(100);
const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema };

/** Accounts, for administrators (`users:manage`). */
export const adminUserRoutes: FastifyPluginAsyncZod<{ identity: IdentityService }> = async (
  app,
  { identity },
) => {
  const config = { permission: "users:manage" as const };

  app.post(
    "/admin/users",
    {
      config,
      schema: {
        tags: ["admin"],
        summary: "Create a local account",
        description:
          "Without a password, a one-time password is generated and answered once (`oneTimePassword`); the user " +
          "must replace it (POST /auth/password) before doing anything else.",
        body: z.object({
          email: z.email().max(320),
          password: z.string().max(PASSWORD_MAX_LENGTH).optional(),
          roles: Roles,
          site: Site.optional(),
        }),
        response: {
          201: UserViewSchema.extend({ oneTimePassword: z.string().optional() }),
          409: ProblemSchema,
          ...problems,
        },
      },
    },
    async (request, reply) => {
      const { user, oneTimePassword } = await identity.createUser(request.body);
      return reply.code(201).send({ ...user, ...(oneTimePassword ? { oneTimePassword } : {}) });
    },
  );

  app.get(
    "/admin/users",
    {
      config,
      schema: {
        tags: ["admin"],
        summary: "Every account",
        response: { 200: z.array(UserViewSchema), ...problems },
      },
    },
    async () => identity.listUsers(),
  );

  app.patch(
    "/admin/users/:id",
    {
      config,
      schema: {
        tags: ["admin"],
        summary: "Change roles or site, disable or enable, reset MFA, end a lockout",
        description: "Changing roles, disabling or resetting MFA revokes the user's refresh tokens.",
        params: z.object({ id: z.uuid() }),
        body: z.object({
          roles: Roles.optional(),
          site: Site.nullable().optional(),
          disabled: z.boolean().optional(),
          resetMfa: z.literal(true).optional(),
          unlock: z.literal(true).optional(),
        }),
        response: { 200: UserViewSchema, 409: ProblemSchema, ...problems },
      },
    },
    async (request) => identity.updateUser(request.params.id, request.body),
  );
};
