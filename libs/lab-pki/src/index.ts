export * from './lab-pki';
