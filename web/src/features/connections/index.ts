export { ConnectionsList } from './components/connections-list';
export { ConnectionPage, NewConnectionPage } from './components/connection-page';
export { ConnectionBuilder } from './components/connection-builder';
export { MappingEditor } from './components/mapping-editor';
