/** JSON schema fragments shared by the routes. Every object schema is closed (additionalProperties: false). */
export const idParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 } },
} as const;

export const zoneIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
} as const;

export const emptyQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

export const reason = { type: 'string', minLength: 1, maxLength: 2000 } as const;
export const email = {
  type: 'string',
  minLength: 3,
  maxLength: 254,
  pattern: '^[^\\s@]+@[^\\s@]+$',
} as const;
export const password = { type: 'string', minLength: 1, maxLength: 1024 } as const;
export const name = { type: 'string', minLength: 1, maxLength: 200 } as const;

export const cacheSettings = {
  type: 'object',
  additionalProperties: false,
  properties: {
    queryString: { type: 'string', enum: ['keep', 'sort', 'ignore'] },
    honorClientNoCache: { type: 'boolean' },
    defaultTtlSeconds: { type: ['integer', 'null'], minimum: 0, maximum: 31536000 },
    maxTtlSeconds: { type: ['integer', 'null'], minimum: 0, maximum: 31536000 },
    serveStaleOnErrorSeconds: { type: 'integer', minimum: 0, maximum: 31536000 },
  },
} as const;

export const reasonBody = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason },
} as const;
