export * from './lab-pki';
export * from './deployment-credentials';
