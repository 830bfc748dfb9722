// Types of field-format.mjs.
export declare const FORMAT: 'pd1';
export declare const PREFIX: 'pd1.';
export declare const IV_BYTES: 12;
export declare const TAG_BYTES: 16;
export declare function associatedData(accountId: string, eventType: string, field: string): Buffer;
export declare function sealField(key: Buffer, aad: Buffer, iv: Buffer, plaintext: string): string;
export declare function openField(key: Buffer, aad: Buffer, value: string): string;
export declare function hasFieldFormat(value: string): boolean;
