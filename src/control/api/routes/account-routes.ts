import type { FastifyInstance } from 'fastify';
import type { CustomerUserRole, KycStatus, OperatorRole } from '../../db/schema.js';
import {
  createCustomer,
  createCustomerUser,
  createOperator,
  createReporter,
  getCustomerView,
  getOwnReporterProfile,
  listCustomerUserViews,
  listCustomerViews,
  listOperatorViews,
  listReporterViews,
  updateCustomerAccount,
  updateOperatorAccount,
} from '../../services/accounts-service.js';
import type { ApiContext } from '../api-context.js';
import { principalOf } from '../request-context.js';
import { email, emptyQuery, idParams, name, password, reason } from '../schemas.js';

const operatorRole = { type: 'string', enum: ['admin', 'analyst', 'legal'] } as const;
const kycStatus = { type: 'string', enum: ['unverified', 'pending', 'verified', 'rejected'] } as const;

export function accountRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { deps } = ctx;
  const tags = ['accounts'];

  app.get(
    '/v1/operators',
    { schema: { tags, summary: 'List operators', querystring: emptyQuery } },
    async (req) => ({
      operators: await listOperatorViews(deps, principalOf(req)),
    }),
  );

  app.post<{ Body: { email: string; name: string; role: OperatorRole; password: string } }>(
    '/v1/operators',
    {
      schema: {
        tags,
        summary: 'Create an operator',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'name', 'role', 'password'],
          properties: { email, name, role: operatorRole, password },
        },
      },
    },
    async (req, reply) => reply.code(201).send(await createOperator(deps, principalOf(req), req.body)),
  );

  app.patch<{ Params: { id: number }; Body: { role?: OperatorRole; disabled?: boolean; reason?: string } }>(
    '/v1/operators/:id',
    {
      schema: {
        tags,
        summary: 'Change an operator role, or disable/enable it',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { role: operatorRole, disabled: { type: 'boolean' }, reason },
        },
      },
    },
    async (req) => updateOperatorAccount(deps, principalOf(req), req.params.id, req.body),
  );

  app.get(
    '/v1/customers',
    { schema: { tags, summary: 'List customers', querystring: emptyQuery } },
    async (req) => ({
      customers: await listCustomerViews(deps, principalOf(req)),
    }),
  );

  app.post<{ Body: { name: string; kycStatus?: KycStatus } }>(
    '/v1/customers',
    {
      schema: {
        tags,
        summary: 'Create a customer (organization)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name, kycStatus },
        },
      },
    },
    async (req, reply) => reply.code(201).send(await createCustomer(deps, principalOf(req), req.body)),
  );

  app.get<{ Params: { id: number } }>(
    '/v1/customers/:id',
    { schema: { tags, summary: 'One customer', params: idParams, querystring: emptyQuery } },
    async (req) => getCustomerView(deps, principalOf(req), req.params.id),
  );

  app.patch<{ Params: { id: number }; Body: { name?: string; kycStatus?: KycStatus; reason?: string } }>(
    '/v1/customers/:id',
    {
      schema: {
        tags,
        summary: 'Rename a customer or set its KYC status',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { name, kycStatus, reason },
        },
      },
    },
    async (req) => updateCustomerAccount(deps, principalOf(req), req.params.id, req.body),
  );

  app.get<{ Params: { id: number } }>(
    '/v1/customers/:id/users',
    { schema: { tags, summary: "A customer's users", params: idParams, querystring: emptyQuery } },
    async (req) => ({ users: await listCustomerUserViews(deps, principalOf(req), req.params.id) }),
  );

  app.post<{
    Params: { id: number };
    Body: { email: string; name: string; password: string; role: CustomerUserRole };
  }>(
    '/v1/customers/:id/users',
    {
      schema: {
        tags,
        summary: 'Add a user to a customer',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'name', 'password', 'role'],
          properties: { email, name, password, role: { type: 'string', enum: ['owner', 'member'] } },
        },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await createCustomerUser(deps, principalOf(req), req.params.id, req.body)),
  );

  app.get(
    '/v1/reporters',
    { schema: { tags, summary: 'List reporters', querystring: emptyQuery } },
    async (req) => ({
      reporters: await listReporterViews(deps, principalOf(req)),
    }),
  );

  app.post<{ Body: { name: string; email: string; organization?: string | null; password?: string } }>(
    '/v1/reporters',
    {
      schema: {
        tags,
        summary: 'Register a reporter (rights holder or agent)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'email'],
          properties: { name, email, organization: { type: ['string', 'null'], maxLength: 200 }, password },
        },
      },
    },
    async (req, reply) => reply.code(201).send(await createReporter(deps, principalOf(req), req.body)),
  );

  app.get(
    '/v1/reporters/me',
    { schema: { tags, summary: "The calling reporter's profile", querystring: emptyQuery } },
    async (req) => getOwnReporterProfile(deps, principalOf(req)),
  );
}
