/** Types of the rotation function's exports (index.js runs as is in Lambda and is required by the local runner). */
export declare const FIELDS: { readonly privateKey: 'privateKey'; readonly nextPrivateKey: 'nextPrivateKey'; readonly keySet: 'keySet' };
export type JwtSigningValue = Record<string, string>;
export declare function rotated(current: JwtSigningValue): JwtSigningValue;
export declare function problems(value: JwtSigningValue, before?: JwtSigningValue): string[];
export declare function publicJwk(pem: string): { kty: string; crv: string; x: string; kid: string; alg: string; use: string };
export declare function rotate(client: unknown, sdk: unknown, event: { SecretId: string; ClientRequestToken: string; Step: string }): Promise<void>;
export declare function handler(event: { SecretId: string; ClientRequestToken: string; Step: string }): Promise<void>;
